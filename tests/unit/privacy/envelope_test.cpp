#include "privacy/envelope.h"

#include <gtest/gtest.h>

#include <sstream>

#include "batch_fixture.h"

namespace passerelle::privacy {
namespace {

using Envelope = testing::BatchFixture;

std::string envelopeOf(const std::filesystem::path& dir) {
    std::ostringstream out;
    writeEnvelope(dir, out);
    return out.str();
}

std::optional<BatchProblem> receiveProblem(const std::string& body, const std::filesystem::path& dir,
                                           const SenderKeyLookup& lookup, std::uint64_t max = 1 << 30) {
    std::istringstream in(body);
    try {
        (void)receiveEnvelope(in, dir, lookup, max);
    } catch (const BatchFormatError& e) {
        return e.problem();
    }
    return std::nullopt;
}

TEST_F(Envelope, RoundTripThroughTheWireFormat) {
    const auto dir = writeBatch(5000);
    const std::string body = envelopeOf(dir);
    EXPECT_EQ(body.size(), envelopeSize(dir));
    EXPECT_EQ(body.substr(0, 8), "PSLENV01");

    const auto received = tmp / "inbox" / "b1";
    std::istringstream in(body);
    const Manifest m = receiveEnvelope(in, received, lookup(), body.size());
    EXPECT_EQ(m.recordCount, 5000u);
    EXPECT_EQ(testing::readFile(received / "manifest.json"), testing::readFile(dir / "manifest.json"));
    EXPECT_EQ(testing::readFile(received / "payload.bin"), testing::readFile(dir / "payload.bin"));
    EXPECT_FALSE(std::filesystem::exists(received / "payload.bin.tmp"));

    BatchReader r(received, recipient, lookup());
    std::vector<std::string> values;
    std::size_t n = 0;
    while (r.next(values)) {
        ASSERT_EQ(values, recordOf(n));
        ++n;
    }
    EXPECT_EQ(n, 5000u);
}

TEST_F(Envelope, FlippedPayloadByteIsRejectedAndLeavesNoFolder) {
    const auto dir = writeBatch(1000);
    std::string body = envelopeOf(dir);
    body[body.size() - 100] ^= 0x10;
    const auto target = tmp / "inbox" / "b1";
    EXPECT_EQ(receiveProblem(body, target, lookup()), BatchProblem::DigestMismatch);
    EXPECT_FALSE(std::filesystem::exists(target));
}

TEST_F(Envelope, FlippedManifestByteIsRejectedBeforeStoringAnything) {
    const auto dir = writeBatch(10);
    std::string body = envelopeOf(dir);
    const auto pos = body.find("region-survey-contact");
    body[pos] = 'R';
    const auto target = tmp / "inbox" / "b1";
    EXPECT_EQ(receiveProblem(body, target, lookup()), BatchProblem::BadSignature);
    EXPECT_FALSE(std::filesystem::exists(target));
}

TEST_F(Envelope, TruncatedOversizedOrForeignBodiesAreRejected) {
    const auto dir = writeBatch(1000);
    const std::string body = envelopeOf(dir);
    const auto target = tmp / "inbox" / "b1";
    EXPECT_EQ(receiveProblem(body.substr(0, body.size() - 10), target, lookup()),
              BatchProblem::DigestMismatch);
    EXPECT_EQ(receiveProblem(body.substr(0, 40), target, lookup()), BatchProblem::Truncated);
    EXPECT_EQ(receiveProblem(body, target, lookup(), body.size() - 1), BatchProblem::Malformed);
    EXPECT_EQ(receiveProblem("GET / HTTP/1.1\r\n\r\n", target, lookup()), BatchProblem::Malformed);
    std::string huge = body.substr(0, 8) + std::string("\x7f\x00\x00\x00", 4);
    EXPECT_EQ(receiveProblem(huge, target, lookup()), BatchProblem::Malformed);
    EXPECT_FALSE(std::filesystem::exists(target));
}

TEST_F(Envelope, ExistingFolderIsNeverOverwritten) {
    const auto dir = writeBatch(10);
    std::istringstream in(envelopeOf(dir));
    EXPECT_THROW(receiveEnvelope(in, dir, lookup(), 1 << 30), BatchError);
    EXPECT_EQ(problemOpening(dir, recipient), std::nullopt);
}

}  // namespace
}  // namespace passerelle::privacy
