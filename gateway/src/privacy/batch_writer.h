#pragma once
// Seals records into a batch folder: payload.bin (secretstream under a fresh
// batch key sealed to the recipient), manifest.json (canonical) and manifest.sig.

#include <sodium.h>

#include <filesystem>
#include <memory>
#include <span>
#include <string_view>

#include "privacy/manifest.h"
#include "privacy/party_keys.h"
#include "privacy/posix_file.h"
#include "privacy/sha256.h"

namespace passerelle::privacy {

class BatchWriter {
public:
    // `draft` supplies batch_id, sender, recipient, purpose, fields and optionally
    // created_at; the rest is filled in. batchDir is created; it must not hold a batch yet.
    BatchWriter(std::filesystem::path batchDir, Manifest draft, const PartyKeys& sender,
                const BoxPublicKey& recipient);
    ~BatchWriter();  // without finish(): the partial payload is removed
    BatchWriter(const BatchWriter&) = delete;
    BatchWriter& operator=(const BatchWriter&) = delete;

    // values.size() must equal fields.size() (std::invalid_argument otherwise).
    void addRecord(std::span<const std::string_view> values);
    // Pushes the FINAL chunk, writes and signs the manifest, fsyncs and renames into place.
    Manifest finish();

private:
    void pushChunk(unsigned char tag);

    std::filesystem::path dir_;
    Manifest manifest_;
    const PartyKeys& sender_;
    detail::PosixFile payload_;
    Sha256 digest_;
    crypto_secretstream_xchacha20poly1305_state stream_;
    // Chunk plaintext, filled record by record; grows only for records beyond kChunkTarget.
    std::unique_ptr<std::uint8_t[]> plain_;
    std::size_t plainCapacity_ = 0;
    std::size_t plainUsed_ = 0;
    std::unique_ptr<std::uint8_t[]> cipher_;  // u32 length prefix + ciphertext
    std::size_t cipherCapacity_ = 0;
    bool finished_ = false;
};

}  // namespace passerelle::privacy
