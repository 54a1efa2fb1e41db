#pragma once
// Opens a sealed batch folder addressed to us. Everything that can be checked
// before the first record is checked in the constructor (signature, version,
// recipient, payload digest, magic, batch key); stream-level checks (truncation,
// authentication, extension, record count) are made as records are read.

#include <sodium.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "privacy/manifest.h"
#include "privacy/party_keys.h"
#include "privacy/posix_file.h"

namespace passerelle::privacy {

// Resolves a manifest's signer to the Ed25519 key to check it with (throws if none).
using SenderKeyLookup = std::function<SignPublicKey(const ManifestSigner& signer)>;

// Reads and verifies manifest.json + manifest.sig bytes: signature (BadSignature),
// then version and shape (UnsupportedVersion / Malformed). Shared with the envelope.
Manifest verifyManifest(std::string_view json, std::span<const std::uint8_t> signature,
                        const SenderKeyLookup& senderKey);

class BatchReader {
public:
    // Throws BatchFormatError (see batch_errors.h) for the first failed check.
    BatchReader(const std::filesystem::path& batchDir, const PartyKeys& recipient,
                const SenderKeyLookup& senderKey);
    ~BatchReader();
    BatchReader(const BatchReader&) = delete;
    BatchReader& operator=(const BatchReader&) = delete;

    const Manifest& manifest() const { return manifest_; }
    // Fills values (one per manifest field); false after the last record, once the
    // stream and the record count have been checked. Throws BatchFormatError.
    bool next(std::vector<std::string>& values);

private:
    bool readChunk();

    std::filesystem::path dir_;
    Manifest manifest_;
    detail::PosixFile payload_;
    crypto_secretstream_xchacha20poly1305_state stream_;
    std::vector<std::uint8_t> cipher_;
    std::vector<std::uint8_t> plain_;
    std::size_t plainSize_ = 0;
    std::size_t plainPos_ = 0;
    std::uint64_t chunkIndex_ = 0;
    std::uint64_t recordsRead_ = 0;
    bool final_ = false;
    bool done_ = false;
};

}  // namespace passerelle::privacy
