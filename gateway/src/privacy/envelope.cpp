#include "privacy/envelope.h"

#include <cstring>
#include <vector>

#include "common/encoding.h"
#include "common/errors.h"
#include "privacy/batch_errors.h"
#include "privacy/posix_file.h"
#include "privacy/sha256.h"

namespace passerelle::privacy {

namespace fs = std::filesystem;

namespace {

constexpr char kEnvelopeMagic[8] = {'P', 'S', 'L', 'E', 'N', 'V', '0', '1'};
constexpr std::size_t kSignatureBytes = 64;
constexpr std::size_t kFixedBytes = sizeof kEnvelopeMagic + 4 + kSignatureBytes;

[[noreturn]] void fail(BatchProblem problem, const std::string& message) {
    throw BatchFormatError(problem, "envelope: " + message);
}

std::size_t readUpTo(std::istream& in, std::uint8_t* buf, std::size_t n) {
    in.read(reinterpret_cast<char*>(buf), static_cast<std::streamsize>(n));
    return static_cast<std::size_t>(in.gcount());
}

void readExactly(std::istream& in, std::uint8_t* buf, std::size_t n, const char* what) {
    if (readUpTo(in, buf, n) != n) {
        fail(BatchProblem::Truncated, std::string("ends inside the ") + what);
    }
}

fs::path tmpOf(const fs::path& p) {
    fs::path t = p;
    t += ".tmp";
    return t;
}

// Removes the batch folder unless the reception completed.
class FolderGuard {
public:
    explicit FolderGuard(fs::path dir) : dir_(std::move(dir)) {}
    ~FolderGuard() {
        if (!committed_) {
            std::error_code ec;
            fs::remove_all(dir_, ec);
        }
    }
    FolderGuard(const FolderGuard&) = delete;
    FolderGuard& operator=(const FolderGuard&) = delete;
    void commit() { committed_ = true; }

private:
    fs::path dir_;
    bool committed_ = false;
};

// The manifest and its signature, read from the front of an envelope.
struct EnvelopeHead {
    std::vector<std::uint8_t> json;
    std::uint8_t sig[kSignatureBytes];
};

// Magic, manifest length (within Manifest::kMaxBytes and maxBytes), manifest and signature.
EnvelopeHead readEnvelopeHead(std::istream& in, std::uint64_t maxBytes) {
    std::uint8_t head[sizeof kEnvelopeMagic + 4];
    const std::size_t gotHead = readUpTo(in, head, sizeof head);
    if (gotHead < sizeof kEnvelopeMagic || std::memcmp(head, kEnvelopeMagic, sizeof kEnvelopeMagic) != 0) {
        fail(BatchProblem::Malformed, "does not start with PSLENV01 (not a v1 batch envelope)");
    }
    if (gotHead < sizeof head) {
        fail(BatchProblem::Truncated, "ends inside its header");
    }
    const std::uint32_t jsonLen = (static_cast<std::uint32_t>(head[8]) << 24) |
                                  (static_cast<std::uint32_t>(head[9]) << 16) |
                                  (static_cast<std::uint32_t>(head[10]) << 8) | head[11];
    if (jsonLen == 0 || jsonLen > Manifest::kMaxBytes) {
        fail(BatchProblem::Malformed, "manifest length " + std::to_string(jsonLen) + " is outside 1.." +
                                          std::to_string(Manifest::kMaxBytes));
    }
    if (kFixedBytes + jsonLen > maxBytes) {
        fail(BatchProblem::Malformed, "larger than the " + std::to_string(maxBytes) + "-byte limit");
    }
    EnvelopeHead envelope;
    envelope.json.resize(jsonLen);
    readExactly(in, envelope.json.data(), envelope.json.size(), "manifest");
    readExactly(in, envelope.sig, sizeof envelope.sig, "manifest signature");
    return envelope;
}

// batchDir, which must not exist yet (a batch id received before would).
void createBatchFolder(const fs::path& batchDir, const Manifest& manifest) {
    std::error_code ec;
    if (fs::symlink_status(batchDir, ec).type() != fs::file_type::not_found) {
        throw BatchError(batchDir.string() + " already exists; batch " + manifest.batchId +
                         " may have been received before");
    }
    if (batchDir.has_parent_path()) {
        fs::create_directories(batchDir.parent_path());
    }
    fs::create_directory(batchDir);
}

// Streams the rest of the envelope into `path` while hashing it; `total` bytes of the
// envelope are already read. Refuses past maxBytes, and a payload that is not the manifest's.
void receivePayload(std::istream& in, const fs::path& path, const Manifest& manifest, std::uint64_t total,
                    std::uint64_t maxBytes) {
    detail::PosixFile payload = detail::PosixFile::createExclusive(path, 0600);
    Sha256 digest;
    std::vector<std::uint8_t> buf(1 << 20);
    for (std::size_t got; (got = readUpTo(in, buf.data(), buf.size())) > 0;) {
        total += got;
        if (total > maxBytes) {
            fail(BatchProblem::Malformed, "batch " + manifest.batchId + " is larger than the " +
                                              std::to_string(maxBytes) + "-byte limit");
        }
        const std::span<const std::uint8_t> part(buf.data(), got);
        digest.update(part);
        payload.writeAll(part);
    }
    if (in.bad()) {
        fail(BatchProblem::Truncated, "reading the payload of batch " + manifest.batchId + " failed");
    }
    if ("sha256:" + toHex(digest.finish()) != manifest.payloadDigest) {
        fail(BatchProblem::DigestMismatch,
             "payload of batch " + manifest.batchId + " does not match the digest in its signed manifest");
    }
    payload.sync();
    payload.close();
}

// Writes manifest.sig and manifest.json beside payload.bin.tmp, then renames all three,
// manifest.json last: a folder with a manifest is a complete batch.
void installBatchFiles(const fs::path& batchDir, const EnvelopeHead& head) {
    const fs::path payloadPath = batchDir / "payload.bin";
    const fs::path manifestPath = batchDir / "manifest.json";
    const fs::path sigPath = batchDir / "manifest.sig";
    for (const auto& [path, bytes] : {std::pair{sigPath, std::span<const std::uint8_t>(head.sig)},
                                      std::pair{manifestPath, std::span<const std::uint8_t>(head.json)}}) {
        detail::PosixFile f = detail::PosixFile::createExclusive(tmpOf(path), 0600);
        f.writeAll(bytes);
        f.sync();
        f.close();
    }
    fs::rename(tmpOf(payloadPath), payloadPath);
    fs::rename(tmpOf(sigPath), sigPath);
    detail::syncDirectory(batchDir);
    fs::rename(tmpOf(manifestPath), manifestPath);
    detail::syncDirectory(batchDir);
    if (batchDir.has_parent_path()) {
        detail::syncDirectory(batchDir.parent_path());
    }
}

}  // namespace

std::uint64_t envelopeSize(const fs::path& batchDir) {
    if (!fs::exists(batchDir / "manifest.json")) {
        throw BatchError(batchDir.string() + " is not a complete batch (no manifest.json)");
    }
    return kFixedBytes + fs::file_size(batchDir / "manifest.json") + fs::file_size(batchDir / "payload.bin");
}

void writeEnvelope(const fs::path& batchDir, std::ostream& out) {
    std::vector<std::uint8_t> json, sig;
    detail::PosixFile payload;
    try {
        json = detail::readSmallFile(batchDir / "manifest.json", Manifest::kMaxBytes);
        sig = detail::readSmallFile(batchDir / "manifest.sig", kSignatureBytes);
        payload = detail::PosixFile::openRead(batchDir / "payload.bin");
    } catch (const std::exception& e) {
        throw BatchError(batchDir.string() + " is not a complete batch: " + e.what());
    }
    if (sig.size() != kSignatureBytes) {
        throw BatchError((batchDir / "manifest.sig").string() + " is not a 64-byte signature");
    }
    const auto n = static_cast<std::uint32_t>(json.size());
    const std::uint8_t len[4] = {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                                 static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
    out.write(kEnvelopeMagic, sizeof kEnvelopeMagic);
    out.write(reinterpret_cast<const char*>(len), sizeof len);
    out.write(reinterpret_cast<const char*>(json.data()), static_cast<std::streamsize>(json.size()));
    out.write(reinterpret_cast<const char*>(sig.data()), static_cast<std::streamsize>(sig.size()));
    std::vector<std::uint8_t> buf(1 << 20);
    for (std::size_t got; (got = payload.readFull(buf)) > 0;) {
        out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(got));
    }
    if (!out) {
        throw BatchError("cannot write the envelope of " + batchDir.string());
    }
}

Manifest receiveEnvelope(std::istream& in, const fs::path& batchDir, const SenderKeyLookup& senderKey,
                         std::uint64_t maxBytes, const ManifestCheck& beforeStoring) {
    const EnvelopeHead head = readEnvelopeHead(in, maxBytes);

    // Nothing is stored before the sender is authenticated.
    const std::string_view jsonText(reinterpret_cast<const char*>(head.json.data()), head.json.size());
    const Manifest manifest = verifyManifest(jsonText, head.sig, senderKey);
    if (beforeStoring) beforeStoring(manifest);

    createBatchFolder(batchDir, manifest);
    FolderGuard guard(batchDir);
    const fs::path payloadPath = batchDir / "payload.bin";
    receivePayload(in, tmpOf(payloadPath), manifest, kFixedBytes + head.json.size(), maxBytes);
    installBatchFiles(batchDir, head);
    guard.commit();
    return manifest;
}

}  // namespace passerelle::privacy
