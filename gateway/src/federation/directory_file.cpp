#include "federation/directory_file.h"

#include <algorithm>

#include "federation/ca_folder.h"

namespace passerelle::federation {

namespace {

constexpr unsigned kPublicMode = 0644;
constexpr std::size_t kMaxDirectoryBytes = 16u << 20;  // 17 parties take some 60 kB

}  // namespace

std::optional<exchange::SignedJson> DirectoryFile::read() const {
    if (!std::filesystem::exists(file_)) return std::nullopt;
    try {
        return signedDirectoryFromBody(readWholeFile(file_, kMaxDirectoryBytes));
    } catch (const Error& e) {
        throw DirectoryError(file_.string() + ": " + e.what());
    }
}

std::optional<HeldDirectory> DirectoryFile::held() const {
    const auto body = read();
    if (!body) return std::nullopt;
    try {
        return HeldDirectory{parseDirectory(body->json).version, directoryDigest(*body)};
    } catch (const DirectoryError& e) {
        throw DirectoryError(file_.string() + ": " + e.what());
    }
}

void DirectoryFile::write(const exchange::SignedJson& signedDirectory) const {
    if (file_.has_parent_path()) std::filesystem::create_directories(file_.parent_path());
    replaceFile(file_, signedDirectory.body("directory"), kPublicMode);
}

DirectoryVersion publishDirectory(Directory content, const privacy::PartyKeys& regionKeys, const DirectoryFile& file,
                                  ledger::LedgerAppender& ledger, const Clock& clock) {
    const auto now = clock.now();
    const auto held = file.held();
    content.version = std::max<std::uint64_t>(held ? held->version + 1 : 1,
                                              static_cast<std::uint64_t>(std::max<std::int64_t>(unixSeconds(now), 1)));
    content.issued = formatUtc(now);
    // What is published must be what every peer will accept: checked as they will check it.
    const auto signedDirectory = signDirectory(content, regionKeys);
    parseDirectory(signedDirectory.json);
    file.write(signedDirectory);
    const DirectoryVersion published{content.version, directoryDigest(signedDirectory)};
    ledger.append(ledger::LedgerEntry::of(
        ledger::Operation::DirectoryPublished, ledger::Outcome::Published, "operator",
        "version " + std::to_string(published.version) + "; sha256 " + published.sha256 + "; " +
            std::to_string(content.parties.size()) + " parties"));
    return published;
}

Adoption adoptDirectory(const exchange::SignedJson& candidate, std::span<const privacy::SignPublicKey> trusted,
                        const DirectoryFile& file, ledger::LedgerAppender& ledger) {
    const auto held = file.held();
    Adoption adoption{acceptDirectory(candidate, trusted, held), {}, false};
    adoption.version = {adoption.directory.version, directoryDigest(candidate)};
    if (held && held->version == adoption.version.version) return adoption;
    file.write(candidate);
    adoption.changed = true;
    auto entry = ledger::LedgerEntry::of(ledger::Operation::DirectoryAdopted, ledger::Outcome::Adopted, "gateway",
                                         "version " + std::to_string(adoption.version.version) + "; sha256 " +
                                             adoption.version.sha256);
    entry.counterpart = adoption.directory.region;
    ledger.append(std::move(entry));
    return adoption;
}

}  // namespace passerelle::federation
