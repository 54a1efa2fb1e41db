#include "privacy/batch_writer.h"

#include <cstring>
#include <stdexcept>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "privacy/payload_format.h"
#include "privacy/sodium_init.h"

namespace passerelle::privacy {

namespace fs = std::filesystem;

namespace {

fs::path tmpOf(const fs::path& p) {
    fs::path t = p;
    t += ".tmp";
    return t;
}

void growBuffer(std::unique_ptr<std::uint8_t[]>& buf, std::size_t& capacity, std::size_t used,
                std::size_t needed) {
    if (needed <= capacity) {
        return;
    }
    const std::size_t newCapacity = std::max(needed, capacity * 2);
    auto bigger = std::make_unique_for_overwrite<std::uint8_t[]>(newCapacity);
    std::memcpy(bigger.get(), buf.get(), used);
    sodium_memzero(buf.get(), capacity);
    buf = std::move(bigger);
    capacity = newCapacity;
}

}  // namespace

BatchWriter::BatchWriter(fs::path batchDir, Manifest draft, const PartyKeys& sender,
                         const BoxPublicKey& recipient)
    : dir_(std::move(batchDir)), manifest_(std::move(draft)), sender_(sender) {
    ensureSodium();
    if (manifest_.fields.empty()) {
        throw std::invalid_argument("a batch needs at least one field");
    }
    if (manifest_.batchId.empty()) {
        manifest_.batchId = newBatchId();
    }
    manifest_.formatVersion = Manifest::kFormatVersion;
    manifest_.recordCount = 0;
    manifest_.senderKeyId = sender.publicKeys().sign.id();
    manifest_.recipientKeyId = recipient.id();
    if (manifest_.sender.empty()) {
        manifest_.sender = sender.publicKeys().party;
    }

    fs::create_directories(dir_);
    for (const char* name : {"manifest.json", "payload.bin", "manifest.sig"}) {
        if (fs::exists(dir_ / name)) {
            throw BatchError((dir_ / name).string() + " already exists; a batch folder is written once");
        }
    }
    payload_ = detail::PosixFile::createOrTruncate(tmpOf(dir_ / "payload.bin"), 0600);

    plainCapacity_ = payload::kChunkTarget + 4096;
    plain_ = std::make_unique_for_overwrite<std::uint8_t[]>(plainCapacity_);
    cipherCapacity_ = 4 + plainCapacity_ + payload::kChunkOverhead;
    cipher_ = std::make_unique_for_overwrite<std::uint8_t[]>(cipherCapacity_);

    // Preamble: magic | sealed batch key | secretstream header.
    std::uint8_t preamble[payload::kPreambleBytes];
    std::memcpy(preamble, payload::kMagic, payload::kMagicBytes);
    std::uint8_t* sealed = preamble + payload::kMagicBytes;
    std::uint8_t* header = sealed + payload::kSealedKeyBytes;
    std::uint8_t* key =
        static_cast<std::uint8_t*>(sodium_malloc(crypto_secretstream_xchacha20poly1305_KEYBYTES));
    if (key == nullptr) {
        throw std::bad_alloc();
    }
    crypto_secretstream_xchacha20poly1305_keygen(key);
    const int sealRc =
        crypto_box_seal(sealed, key, crypto_secretstream_xchacha20poly1305_KEYBYTES, recipient.bytes.data());
    const int initRc = crypto_secretstream_xchacha20poly1305_init_push(&stream_, header, key);
    sodium_free(key);  // wipes; only the stream state (wiped in the destructor) keeps key material
    if (sealRc != 0 || initRc != 0) {
        throw BatchError("cannot seal the batch key to recipient key " + recipient.id());
    }
    digest_.update(preamble);
    payload_.writeAll(preamble);
}

BatchWriter::~BatchWriter() {
    sodium_memzero(&stream_, sizeof stream_);
    if (plain_) {
        sodium_memzero(plain_.get(), plainCapacity_);
    }
    if (!finished_) {
        std::error_code ec;
        payload_ = detail::PosixFile();
        fs::remove(tmpOf(dir_ / "payload.bin"), ec);
    }
}

void BatchWriter::addRecord(std::span<const std::string_view> values) {
    if (finished_) {
        throw std::logic_error("BatchWriter::addRecord after finish()");
    }
    if (values.size() != manifest_.fields.size()) {
        throw std::invalid_argument("record has " + std::to_string(values.size()) +
                                    " values, the batch has " + std::to_string(manifest_.fields.size()) +
                                    " fields");
    }
    std::size_t size = 4 * values.size();
    for (const auto v : values) {
        size += v.size();
    }
    if (size > payload::kMaxChunkPlain) {
        throw std::invalid_argument("record of " + std::to_string(size) + " bytes exceeds the " +
                                    std::to_string(payload::kMaxChunkPlain) + "-byte limit");
    }
    if (plainUsed_ + size > payload::kMaxChunkPlain) {
        pushChunk(crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
    }
    if (plainUsed_ + size > plainCapacity_) {
        growBuffer(plain_, plainCapacity_, plainUsed_, plainUsed_ + size);
    }
    std::uint8_t* p = plain_.get() + plainUsed_;
    for (const auto v : values) {
        payload::putLe32(p, static_cast<std::uint32_t>(v.size()));
        p += 4;
        if (!v.empty()) {
            std::memcpy(p, v.data(), v.size());
            p += v.size();
        }
    }
    plainUsed_ += size;
    ++manifest_.recordCount;
    if (plainUsed_ >= payload::kChunkTarget) {
        pushChunk(crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
    }
}

void BatchWriter::pushChunk(unsigned char tag) {
    const std::size_t cipherLen = plainUsed_ + payload::kChunkOverhead;
    if (4 + cipherLen > cipherCapacity_) {
        cipher_ = std::make_unique_for_overwrite<std::uint8_t[]>(4 + cipherLen);
        cipherCapacity_ = 4 + cipherLen;
    }
    payload::putLe32(cipher_.get(), static_cast<std::uint32_t>(cipherLen));
    crypto_secretstream_xchacha20poly1305_push(&stream_, cipher_.get() + 4, nullptr, plain_.get(), plainUsed_,
                                               nullptr, 0, tag);
    const std::span<const std::uint8_t> out(cipher_.get(), 4 + cipherLen);
    digest_.update(out);
    payload_.writeAll(out);
    plainUsed_ = 0;
}

Manifest BatchWriter::finish() {
    if (finished_) {
        throw std::logic_error("BatchWriter::finish called twice");
    }
    pushChunk(crypto_secretstream_xchacha20poly1305_TAG_FINAL);
    sodium_memzero(&stream_, sizeof stream_);
    payload_.sync();
    payload_.close();

    manifest_.payloadDigest = "sha256:" + toHex(digest_.finish());
    if (manifest_.createdAt.empty()) {
        manifest_.createdAt = formatUtc(std::chrono::system_clock::now());
    }
    const std::string json = manifest_.canonicalJson();
    const auto sig = sender_.sign(asBytes(json));

    const fs::path manifestPath = dir_ / "manifest.json";
    const fs::path sigPath = dir_ / "manifest.sig";
    for (const auto& [path, bytes] :
         {std::pair{sigPath, std::span<const std::uint8_t>(sig)}, std::pair{manifestPath, asBytes(json)}}) {
        detail::PosixFile f = detail::PosixFile::createOrTruncate(tmpOf(path), 0600);
        f.writeAll(bytes);
        f.sync();
        f.close();
    }
    fs::rename(tmpOf(dir_ / "payload.bin"), dir_ / "payload.bin");
    fs::rename(tmpOf(sigPath), sigPath);
    detail::syncDirectory(dir_);
    // Last: a folder holding manifest.json is a complete batch.
    fs::rename(tmpOf(manifestPath), manifestPath);
    detail::syncDirectory(dir_);
    finished_ = true;
    return manifest_;
}

}  // namespace passerelle::privacy
