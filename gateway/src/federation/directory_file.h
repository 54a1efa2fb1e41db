#pragma once
// Where a gateway keeps the federation's directory, as the signed body it was served
// in (so what is published or held can be checked again at any time): the Region the
// version it publishes, an institution the version it adopted. Both steps are ledger
// entries (docs/federation.md).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "common/clock.h"
#include "federation/directory.h"
#include "ledger/appender.h"

namespace passerelle::federation {

class DirectoryFile {
public:
    explicit DirectoryFile(std::filesystem::path file) : file_(std::move(file)) {}

    const std::filesystem::path& path() const { return file_; }
    // The signed body held; nullopt when there is none yet; DirectoryError naming the
    // file when it does not read as a signed directory.
    std::optional<exchange::SignedJson> read() const;
    // The version and digest of what read() gives.
    std::optional<HeldDirectory> held() const;
    // Replaces the file (written beside it, synced, renamed over it; mode 0644).
    void write(const exchange::SignedJson& signedDirectory) const;

private:
    std::filesystem::path file_;
};

struct DirectoryVersion {
    std::uint64_t version = 0;
    std::string sha256;
};

// The Region: signs `content` as the next version and writes it to `file`, then appends
// `directory-published`. The version is the held one + 1, or the current Unix time when
// that is larger, so a lost file never makes the Region publish a version its peers
// already hold. `content.version` and `content.issued` are set here.
DirectoryVersion publishDirectory(Directory content, const privacy::PartyKeys& regionKeys, const DirectoryFile& file,
                                  ledger::LedgerAppender& ledger, const Clock& clock);

struct Adoption {
    Directory directory;
    DirectoryVersion version;
    bool changed = false;  // false when it is the version already held
};

// An institution: acceptDirectory() against the held version; a new version is written
// to `file`, then appended as `directory-adopted`. A refused directory throws
// DirectoryError, and nothing is written: it was not authenticated, so neither is it
// ledgered (the caller logs the refusal).
Adoption adoptDirectory(const exchange::SignedJson& candidate, std::span<const privacy::SignPublicKey> trusted,
                        const DirectoryFile& file, ledger::LedgerAppender& ledger);

}  // namespace passerelle::federation
