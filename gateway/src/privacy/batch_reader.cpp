#include "privacy/batch_reader.h"

#include <cstring>

#include "common/encoding.h"
#include "privacy/batch_errors.h"
#include "privacy/payload_format.h"
#include "privacy/sha256.h"
#include "privacy/sodium_init.h"

namespace passerelle::privacy {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(BatchProblem problem, const std::string& message) {
    throw BatchFormatError(problem, message);
}

std::vector<std::uint8_t> readBatchFile(const fs::path& path, std::size_t maxBytes) {
    try {
        return detail::readSmallFile(path, maxBytes);
    } catch (const std::exception& e) {
        fail(BatchProblem::Malformed, std::string("cannot read batch file: ") + e.what());
    }
}

}  // namespace

Manifest verifyManifest(std::string_view json, std::span<const std::uint8_t> signature,
                        const SenderKeyLookup& senderKey) {
    ensureSodium();
    const ManifestSigner signer = Manifest::signerOf(json);
    const std::string& sender = signer.sender;
    const SignPublicKey key = senderKey(signer);
    if (!verifySignature(key, asBytes(json), signature)) {
        fail(BatchProblem::BadSignature, "manifest signature does not verify with key " + key.id() +
                                             " of sender \"" + sender +
                                             "\" (manifest altered, or signed by another key)");
    }
    Manifest m = Manifest::parse(json);
    if (m.senderKeyId != key.id()) {
        fail(BatchProblem::Malformed,
             "manifest names sender key " + m.senderKeyId + " but was signed with " + key.id());
    }
    return m;
}

BatchReader::BatchReader(const fs::path& batchDir, const PartyKeys& recipient,
                         const SenderKeyLookup& senderKey)
    : dir_(batchDir) {
    ensureSodium();
    const auto json = readBatchFile(dir_ / "manifest.json", Manifest::kMaxBytes);
    const auto sig = readBatchFile(dir_ / "manifest.sig", 1024);
    manifest_ = verifyManifest(std::string_view(reinterpret_cast<const char*>(json.data()), json.size()), sig,
                               senderKey);

    // The batch key is sealed to the box key the manifest names: the current one, or a
    // retired one kept after rotation so that older batches still open.
    const std::string& ourKey = manifest_.recipientKeyId;
    if (manifest_.recipient != recipient.publicKeys().party || !recipient.holdsBoxKey(ourKey)) {
        std::string held = recipient.publicKeys().box.id();
        for (const auto& id : recipient.retiredBoxKeyIds()) {
            held += ", " + id;
        }
        fail(BatchProblem::WrongRecipient, "batch " + manifest_.batchId + " is for \"" +
                                               manifest_.recipient + "\" key " + manifest_.recipientKeyId +
                                               ", not for \"" + recipient.publicKeys().party + "\" keys " +
                                               held);
    }

    try {
        payload_ = detail::PosixFile::openRead(dir_ / "payload.bin");
    } catch (const std::exception& e) {
        fail(BatchProblem::Malformed, std::string("cannot read batch file: ") + e.what());
    }
    {
        // Whole-payload digest before decrypting anything: a payload that is not the
        // signed one is rejected before a single record is handed out.
        Sha256 digest;
        std::vector<std::uint8_t> buf(1 << 20);
        for (std::size_t n; (n = payload_.readFull(buf)) > 0;) {
            digest.update(std::span<const std::uint8_t>(buf.data(), n));
        }
        const std::string actual = "sha256:" + toHex(digest.finish());
        if (actual != manifest_.payloadDigest) {
            fail(BatchProblem::DigestMismatch, "payload.bin of batch " + manifest_.batchId +
                                                   " does not match the digest in its signed manifest");
        }
        payload_.rewind();
    }

    std::uint8_t preamble[payload::kPreambleBytes];
    const std::size_t got = payload_.readFull(preamble);
    if (got < payload::kMagicBytes || std::memcmp(preamble, payload::kMagic, payload::kMagicBytes) != 0) {
        fail(BatchProblem::Malformed, "payload.bin of batch " + manifest_.batchId +
                                          " does not start with PSLPAY01 (not a v1 payload)");
    }
    if (got < payload::kPreambleBytes) {
        fail(BatchProblem::Truncated,
             "payload.bin of batch " + manifest_.batchId + " ends inside its header");
    }
    std::uint8_t* key =
        static_cast<std::uint8_t*>(sodium_malloc(crypto_secretstream_xchacha20poly1305_KEYBYTES));
    if (key == nullptr) {
        throw std::bad_alloc();
    }
    const bool opened = recipient.openSealed(
        std::span<const std::uint8_t>(preamble + payload::kMagicBytes, payload::kSealedKeyBytes),
        std::span<std::uint8_t>(key, crypto_secretstream_xchacha20poly1305_KEYBYTES), ourKey);
    const int initRc = opened ? crypto_secretstream_xchacha20poly1305_init_pull(
                                    &stream_, preamble + payload::kMagicBytes + payload::kSealedKeyBytes, key)
                              : -1;
    sodium_free(key);
    if (!opened) {
        fail(BatchProblem::WrongRecipient,
             "the batch key of batch " + manifest_.batchId + " cannot be opened with our key " + ourKey);
    }
    if (initRc != 0) {
        fail(BatchProblem::Corrupt, "secretstream header of batch " + manifest_.batchId + " is invalid");
    }
}

BatchReader::~BatchReader() {
    sodium_memzero(&stream_, sizeof stream_);
    if (!plain_.empty()) {
        sodium_memzero(plain_.data(), plain_.size());
    }
}

bool BatchReader::readChunk() {
    const std::string where = "batch " + manifest_.batchId + ", chunk " + std::to_string(chunkIndex_);
    std::uint8_t lenBytes[4];
    const std::size_t got = payload_.readFull(lenBytes);
    if (got < sizeof lenBytes) {
        fail(BatchProblem::Truncated, where + ": payload ends before the final chunk (truncated)");
    }
    const std::uint32_t len = payload::getLe32(lenBytes);
    if (len < payload::kChunkOverhead || len > payload::kMaxChunkCipher) {
        fail(BatchProblem::Corrupt, where + ": chunk length " + std::to_string(len) + " is out of range");
    }
    cipher_.resize(len);
    if (payload_.readFull(cipher_) != len) {
        fail(BatchProblem::Truncated, where + ": payload ends inside a chunk (truncated)");
    }
    const std::size_t plainLen = len - payload::kChunkOverhead;
    if (plain_.size() < plainLen) {
        if (!plain_.empty()) {
            sodium_memzero(plain_.data(), plain_.size());
        }
        plain_.assign(plainLen, 0);
    }
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&stream_, plain_.data(), nullptr, &tag, cipher_.data(),
                                                   len, nullptr, 0) != 0) {
        fail(BatchProblem::Corrupt, where + ": chunk fails authentication (altered or reordered)");
    }
    if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
        final_ = true;
        std::uint8_t extra;
        if (payload_.readFull(std::span<std::uint8_t>(&extra, 1)) != 0) {
            fail(BatchProblem::Extended, where + ": data follows the final chunk (extended)");
        }
    } else if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
        fail(BatchProblem::Corrupt, where + ": unexpected chunk tag " + std::to_string(tag));
    }
    // Chunks hold whole records, so a chunk's values must split into records of exactly
    // the manifest's fields; a value more (a field outside the list) or less is refused
    // here, before any record of the chunk is handed out.
    const std::size_t fieldCount = manifest_.fields.size();
    std::size_t valueCount = 0;
    for (std::size_t pos = 0; pos < plainLen; ++valueCount) {
        if (plainLen - pos < 4) {
            fail(BatchProblem::Malformed, where + ": ends inside a value length");
        }
        const std::uint32_t valueLen = payload::getLe32(plain_.data() + pos);
        pos += 4;
        if (plainLen - pos < valueLen) {
            fail(BatchProblem::Malformed, where + ": a value runs past the end of its chunk");
        }
        pos += valueLen;
    }
    if (valueCount % fieldCount != 0) {
        fail(BatchProblem::Malformed,
             where + ": holds " + std::to_string(valueCount) +
                 " values, not whole records of the manifest's " + std::to_string(fieldCount) +
                 " fields: a record carries values for fields outside the manifest's list, or lacks some");
    }
    ++chunkIndex_;
    plainSize_ = plainLen;
    plainPos_ = 0;
    return true;
}

bool BatchReader::next(std::vector<std::string>& values) {
    if (done_) {
        return false;
    }
    while (plainPos_ == plainSize_) {
        if (final_) {
            done_ = true;
            if (recordsRead_ != manifest_.recordCount) {
                fail(BatchProblem::CountMismatch,
                     "batch " + manifest_.batchId + " holds " + std::to_string(recordsRead_) +
                         " records, its manifest says " + std::to_string(manifest_.recordCount));
            }
            return false;
        }
        readChunk();
    }
    if (recordsRead_ == manifest_.recordCount) {
        fail(BatchProblem::CountMismatch, "batch " + manifest_.batchId + " holds more records than the " +
                                              std::to_string(manifest_.recordCount) + " its manifest says");
    }
    const std::size_t fieldCount = manifest_.fields.size();
    values.resize(fieldCount);
    const std::uint8_t* p = plain_.data() + plainPos_;
    const std::uint8_t* end = plain_.data() + plainSize_;
    for (std::size_t i = 0; i < fieldCount; ++i) {
        if (end - p < 4) {
            fail(BatchProblem::Malformed, "batch " + manifest_.batchId + ", record " +
                                              std::to_string(recordsRead_) + ": has fewer than " +
                                              std::to_string(fieldCount) + " fields");
        }
        const std::uint32_t len = payload::getLe32(p);
        p += 4;
        if (static_cast<std::size_t>(end - p) < len) {
            fail(BatchProblem::Malformed, "batch " + manifest_.batchId + ", record " +
                                              std::to_string(recordsRead_) + ": field \"" +
                                              manifest_.fields[i] + "\" is longer than its chunk");
        }
        values[i].assign(reinterpret_cast<const char*>(p), len);
        p += len;
    }
    plainPos_ = static_cast<std::size_t>(p - plain_.data());
    ++recordsRead_;
    return true;
}

}  // namespace passerelle::privacy
