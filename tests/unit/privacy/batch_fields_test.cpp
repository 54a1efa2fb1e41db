// A record must carry exactly the manifest's fields: a sender that slips in a value
// for a field outside the manifest's list is refused with its own message.

#include <gtest/gtest.h>

#include <cstring>

#include "batch_fixture.h"

namespace passerelle::privacy {
namespace {

using testing::readFile;
using testing::writeFile;

class BatchFields : public testing::BatchFixture {
protected:
    // Replaces payload.bin with one FINAL chunk holding `values` (length-prefixed),
    // correctly sealed to the recipient, and re-signs the manifest with `recordCount`.
    void rewritePayload(const std::filesystem::path& dir, const std::vector<std::string>& values,
                        std::uint64_t recordCount) {
        std::vector<std::uint8_t> plain;
        for (const auto& v : values) {
            std::uint8_t len[4];
            payload::putLe32(len, static_cast<std::uint32_t>(v.size()));
            plain.insert(plain.end(), len, len + 4);
            plain.insert(plain.end(), v.begin(), v.end());
        }
        std::vector<std::uint8_t> out(payload::kPreambleBytes);
        std::memcpy(out.data(), payload::kMagic, payload::kMagicBytes);
        std::uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
        crypto_secretstream_xchacha20poly1305_keygen(key);
        ASSERT_EQ(crypto_box_seal(out.data() + payload::kMagicBytes, key, sizeof key,
                                  recipient.publicKeys().box.bytes.data()),
                  0);
        crypto_secretstream_xchacha20poly1305_state st;
        crypto_secretstream_xchacha20poly1305_init_push(
            &st, out.data() + payload::kMagicBytes + payload::kSealedKeyBytes, key);
        std::vector<std::uint8_t> cipher(plain.size() + payload::kChunkOverhead);
        crypto_secretstream_xchacha20poly1305_push(&st, cipher.data(), nullptr, plain.data(), plain.size(),
                                                   nullptr, 0,
                                                   crypto_secretstream_xchacha20poly1305_TAG_FINAL);
        std::uint8_t len[4];
        payload::putLe32(len, static_cast<std::uint32_t>(cipher.size()));
        out.insert(out.end(), len, len + 4);
        out.insert(out.end(), cipher.begin(), cipher.end());
        writeFile(dir / "payload.bin", out);
        resign(dir, [recordCount](Manifest& m) { m.recordCount = recordCount; });
    }
};

TEST_F(BatchFields, RecordWithAValueOutsideTheManifestFieldsIsRefused) {
    const auto dir = writeBatch(1);
    auto record = recordOf(1);
    record.push_back("secret-extra-value");  // a 5th value; the manifest lists 4 fields
    rewritePayload(dir, record, 1);
    std::string msg;
    EXPECT_EQ(problemOpening(dir, recipient, &msg), BatchProblem::Malformed) << msg;
    EXPECT_NE(msg.find("outside the manifest's list"), std::string::npos) << msg;
    EXPECT_NE(msg.find("chunk 0"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("secret-extra-value"), std::string::npos) << "no record content in messages";
}

TEST_F(BatchFields, NoRecordOfTheChunkIsReleasedBeforeTheCheck) {
    const auto dir = writeBatch(1);
    std::vector<std::string> values;
    for (std::size_t i = 0; i < 3; ++i) {
        const auto r = recordOf(i);
        values.insert(values.end(), r.begin(), r.end());
    }
    values.push_back("x");  // 13 values: three records and one stray value
    rewritePayload(dir, values, 3);
    BatchReader reader(dir, recipient, lookup());
    std::vector<std::string> out;
    EXPECT_THROW(reader.next(out), BatchFormatError);
}

TEST_F(BatchFields, ExactRecordsStillOpen) {
    const auto dir = writeBatch(1);
    std::vector<std::string> values;
    for (std::size_t i = 0; i < 3; ++i) {
        const auto r = recordOf(i);
        values.insert(values.end(), r.begin(), r.end());
    }
    rewritePayload(dir, values, 3);
    EXPECT_EQ(problemOpening(dir, recipient), std::nullopt);
}

}  // namespace
}  // namespace passerelle::privacy
