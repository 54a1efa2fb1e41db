#include <gtest/gtest.h>
#include <sys/stat.h>


#include "batch_fixture.h"

namespace passerelle::privacy {
namespace {

using Batch = testing::BatchFixture;
using testing::readFile;
using testing::writeFile;

TEST_F(Batch, TenThousandRecordsRoundTripAcrossSeveralChunks) {
    const auto dir = writeBatch(10'000);
    for (const char* name : {"payload.bin", "manifest.json", "manifest.sig"}) {
        EXPECT_TRUE(std::filesystem::exists(dir / name)) << name;
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "payload.bin.tmp"));
    EXPECT_EQ(std::filesystem::file_size(dir / "manifest.sig"), 64u);
    EXPECT_GT(chunks(readFile(dir / "payload.bin")).size(), 5u);

    BatchReader r(dir, recipient, lookup());
    EXPECT_EQ(r.manifest().recordCount, 10'000u);
    EXPECT_EQ(r.manifest().fields, fields);
    EXPECT_EQ(r.manifest().senderKeyId, sender.publicKeys().sign.id());
    EXPECT_EQ(r.manifest().recipientKeyId, recipient.publicKeys().box.id());
    EXPECT_EQ(r.manifest().createdAt, "2026-11-29T08:36:38Z");
    std::vector<std::string> values;
    std::size_t i = 0;
    while (r.next(values)) {
        ASSERT_EQ(values, recordOf(i)) << "record " << i;
        ++i;
    }
    EXPECT_EQ(i, 10'000u);
    EXPECT_FALSE(r.next(values));
}

TEST_F(Batch, EmptyBatchAndHugeRecordRoundTrip) {
    const auto empty = writeBatch(0, "empty");
    std::vector<std::string> values;
    BatchReader r(empty, recipient, lookup());
    EXPECT_FALSE(r.next(values));

    const auto dir = tmp / "huge";
    BatchWriter w(dir, draft(), sender, recipient.publicKeys().box);
    const std::string big(3 * 1024 * 1024, 'b');  // larger than a chunk target: the buffer grows
    const std::string_view rec[] = {"1", big, "", "z"};
    w.addRecord(rec);
    w.addRecord(rec);
    const Manifest m = w.finish();
    EXPECT_EQ(m.recordCount, 2u);
    BatchReader r2(dir, recipient, lookup());
    ASSERT_TRUE(r2.next(values));
    EXPECT_EQ(values[1], big);
    EXPECT_EQ(values[2], "");
    ASSERT_TRUE(r2.next(values));
    EXPECT_FALSE(r2.next(values));
}

TEST_F(Batch, WriterRejectsWrongFieldCountAndUnfinishedBatchLeavesNoPayload) {
    const auto dir = tmp / "abandoned";
    {
        BatchWriter w(dir, draft(), sender, recipient.publicKeys().box);
        const std::string_view three[] = {"a", "b", "c"};
        EXPECT_THROW(w.addRecord(three), std::invalid_argument);
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "payload.bin.tmp"));
    EXPECT_FALSE(std::filesystem::exists(dir / "manifest.json"));
}

TEST_F(Batch, WriterRefusesAFolderThatHoldsABatch) {
    const auto dir = writeBatch(1);
    EXPECT_THROW(BatchWriter(dir, draft(), sender, recipient.publicKeys().box), BatchError);
}

TEST_F(Batch, PayloadIsEncryptedAndStartsWithMagic) {
    const auto dir = writeBatch(100);
    const auto payload = readFile(dir / "payload.bin");
    ASSERT_GT(payload.size(), payload::kPreambleBytes);
    EXPECT_EQ(std::string(payload.begin(), payload.begin() + 8), "PSLPAY01");
    const std::string text(payload.begin(), payload.end());
    EXPECT_EQ(text.find("example.org"), std::string::npos);
    EXPECT_EQ(text.find("Dupont"), std::string::npos);
}

// --- one test per BatchProblem ---------------------------------------------

TEST_F(Batch, FlippedManifestByteIsBadSignature) {
    const auto dir = writeBatch(10);
    auto json = readFile(dir / "manifest.json");
    json[json.size() / 2 + 3] ^= 0x01;
    writeFile(dir / "manifest.json", json);
    std::string msg;
    // Flipping a byte may also break the JSON; either way it must not open.
    const auto problem = problemOpening(dir, recipient, &msg);
    ASSERT_TRUE(problem.has_value());
    EXPECT_TRUE(*problem == BatchProblem::BadSignature || *problem == BatchProblem::Malformed) << msg;

    // An edit that keeps the JSON valid is caught by the signature specifically.
    const auto dir2 = writeBatch(10, "b2");
    auto json2 = readFile(dir2 / "manifest.json");
    std::string text(json2.begin(), json2.end());
    text.replace(text.find("region-survey-contact"), 21, "insertion-outcome-xxx");
    writeFile(dir2 / "manifest.json", std::vector<std::uint8_t>(text.begin(), text.end()));
    EXPECT_EQ(problemOpening(dir2, recipient, &msg), BatchProblem::BadSignature) << msg;
}

TEST_F(Batch, FlippedSignatureByteIsBadSignature) {
    const auto dir = writeBatch(10);
    auto sig = readFile(dir / "manifest.sig");
    sig[10] ^= 0x80;
    writeFile(dir / "manifest.sig", sig);
    EXPECT_EQ(problemOpening(dir, recipient), BatchProblem::BadSignature);
}

TEST_F(Batch, ManifestSignedByAnotherPartyIsBadSignature) {
    const auto dir = writeBatch(10);
    resign(
        dir, [](Manifest&) {}, &outsider);
    std::string msg;
    EXPECT_EQ(problemOpening(dir, recipient, &msg), BatchProblem::BadSignature);
    EXPECT_NE(msg.find("france-travail"), std::string::npos) << msg;
}

TEST_F(Batch, Version2IsUnsupported) {
    const auto dir = writeBatch(10);
    resign(dir, [](Manifest& m) { m.formatVersion = 2; });
    std::string msg;
    EXPECT_EQ(problemOpening(dir, recipient, &msg), BatchProblem::UnsupportedVersion);
    EXPECT_EQ(msg, "unsupported batch format version 2 (this gateway reads 1)");
}

TEST_F(Batch, SealedForBOpenedByCIsWrongRecipient) {
    const auto dir = writeBatch(10);
    EXPECT_EQ(problemOpening(dir, outsider), BatchProblem::WrongRecipient);
    EXPECT_EQ(problemOpening(dir, recipient), std::nullopt);
}

TEST_F(Batch, ManifestClaimingUsButKeySealedToOtherIsWrongRecipient) {
    // The sender names us in the manifest, but sealed the batch key to the outsider.
    const auto dir = writeBatch(10, "misdirected", &outsider);
    resign(dir, [&](Manifest& m) {
        m.recipient = "region";
        m.recipientKeyId = recipient.publicKeys().box.id();
    });
    std::string msg;
    EXPECT_EQ(problemOpening(dir, recipient, &msg), BatchProblem::WrongRecipient);
    EXPECT_NE(msg.find("cannot be opened"), std::string::npos) << msg;
}

TEST_F(Batch, FlippedPayloadByteIsDigestMismatch) {
    const auto dir = writeBatch(1000);
    auto payload = readFile(dir / "payload.bin");
    payload[payload.size() / 2] ^= 0x04;
    writeFile(dir / "payload.bin", payload);
    EXPECT_EQ(problemOpening(dir, recipient), BatchProblem::DigestMismatch);
}

TEST_F(Batch, FlippedPayloadByteWithResignedDigestIsCorrupt) {
    // Defence in depth: even if the digest matched (sender bug), the AEAD catches it.
    const auto dir = writeBatch(1000);
    auto payload = readFile(dir / "payload.bin");
    payload[payload.size() / 2] ^= 0x04;
    writeFile(dir / "payload.bin", payload);
    resign(dir, [](Manifest&) {});
    EXPECT_EQ(problemOpening(dir, recipient), BatchProblem::Corrupt);
}

TEST_F(Batch, TruncatedPayloadIsDigestMismatchThenTruncated) {
    const auto dir = writeBatch(10'000);
    auto payload = readFile(dir / "payload.bin");
    const auto cs = chunks(payload);
    ASSERT_GT(cs.size(), 2u);
    payload.resize(cs.back().first);  // drop the FINAL chunk exactly
    writeFile(dir / "payload.bin", payload);
    EXPECT_EQ(problemOpening(dir, recipient), BatchProblem::DigestMismatch);
    resign(dir, [](Manifest&) {});
    std::string msg;
    EXPECT_EQ(problemOpening(dir, recipient, &msg), BatchProblem::Truncated) << msg;

    payload.resize(cs[1].first + 100);  // cut inside a chunk
    writeFile(dir / "payload.bin", payload);
    resign(dir, [](Manifest&) {});
    EXPECT_EQ(problemOpening(dir, recipient), BatchProblem::Truncated);
}

TEST_F(Batch, AppendedBytesAreDigestMismatchThenExtended) {
    const auto dir = writeBatch(100);
    auto payload = readFile(dir / "payload.bin");
    payload.insert(payload.end(), {1, 2, 3});
    writeFile(dir / "payload.bin", payload);
    EXPECT_EQ(problemOpening(dir, recipient), BatchProblem::DigestMismatch);
    resign(dir, [](Manifest&) {});
    EXPECT_EQ(problemOpening(dir, recipient), BatchProblem::Extended);
}

TEST_F(Batch, SwappedChunksAreCorrupt) {
    const auto dir = writeBatch(10'000);
    const auto payload = readFile(dir / "payload.bin");
    const auto cs = chunks(payload);
    ASSERT_GT(cs.size(), 3u);
    std::vector<std::uint8_t> swapped(payload.begin(), payload.begin() + cs[0].first);
    swapped.insert(swapped.end(), payload.begin() + cs[1].first, payload.begin() + cs[1].second);
    swapped.insert(swapped.end(), payload.begin() + cs[0].first, payload.begin() + cs[0].second);
    swapped.insert(swapped.end(), payload.begin() + cs[2].first, payload.end());
    ASSERT_EQ(swapped.size(), payload.size());
    writeFile(dir / "payload.bin", swapped);
    EXPECT_EQ(problemOpening(dir, recipient), BatchProblem::DigestMismatch);
    resign(dir, [](Manifest&) {});
    std::string msg;
    EXPECT_EQ(problemOpening(dir, recipient, &msg), BatchProblem::Corrupt) << msg;
    EXPECT_NE(msg.find("chunk 0"), std::string::npos) << msg;
}

TEST_F(Batch, WrongRecordCountIsCountMismatch) {
    const auto dir = writeBatch(100);
    resign(dir, [](Manifest& m) { m.recordCount = 101; });
    EXPECT_EQ(problemOpening(dir, recipient), BatchProblem::CountMismatch);
    resign(dir, [](Manifest& m) { m.recordCount = 99; });
    EXPECT_EQ(problemOpening(dir, recipient), BatchProblem::CountMismatch);
}

TEST_F(Batch, BadMagicIsMalformed) {
    const auto dir = writeBatch(10);
    auto payload = readFile(dir / "payload.bin");
    payload[0] = 'X';
    writeFile(dir / "payload.bin", payload);
    resign(dir, [](Manifest&) {});
    EXPECT_EQ(problemOpening(dir, recipient), BatchProblem::Malformed);
}

TEST_F(Batch, RecordNotFittingItsFieldsIsMalformed) {
    // A sender whose manifest lists more fields than its records carry.
    const auto dir = writeBatch(11);  // 44 length-prefixed values: not a whole number of 5-field records
    resign(dir, [](Manifest& m) { m.fields.push_back("extra"); });
    std::string msg;
    EXPECT_EQ(problemOpening(dir, recipient, &msg), BatchProblem::Malformed) << msg;
    EXPECT_EQ(msg.find("id-"), std::string::npos) << "message leaks record content: " << msg;
}

TEST_F(Batch, MissingManifestIsMalformed) {
    const auto dir = writeBatch(10);
    std::filesystem::remove(dir / "manifest.json");
    EXPECT_EQ(problemOpening(dir, recipient), BatchProblem::Malformed);
}

TEST_F(Batch, ErrorMessagesCarryNoRecordContent) {
    const auto dir = writeBatch(100);
    auto payload = readFile(dir / "payload.bin");
    payload[payload.size() - 5] ^= 1;
    writeFile(dir / "payload.bin", payload);
    resign(dir, [](Manifest&) {});
    std::string msg;
    EXPECT_EQ(problemOpening(dir, recipient, &msg), BatchProblem::Corrupt);
    EXPECT_EQ(msg.find("example.org"), std::string::npos) << msg;
}

}  // namespace
}  // namespace passerelle::privacy
