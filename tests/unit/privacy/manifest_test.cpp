#include "privacy/manifest.h"

#include <gtest/gtest.h>

#include "privacy/batch_errors.h"

namespace passerelle::privacy {
namespace {

Manifest sample() {
    Manifest m;
    m.batchId = "00112233445566778899aabbccddeeff";
    m.sender = "france-travail";
    m.recipient = "region";
    m.purpose = "region-survey-contact";
    m.fields = {"last_name", "email", "course \"A\"\n"};
    m.recordCount = 42;
    m.senderKeyId = "0123456789abcdef";
    m.recipientKeyId = "fedcba9876543210";
    m.payloadDigest = "sha256:" + std::string(64, 'a');
    m.createdAt = "2026-11-29T08:36:38Z";
    return m;
}

BatchProblem problemOf(std::string_view json) {
    try {
        (void)Manifest::parse(json);
    } catch (const BatchFormatError& e) {
        return e.problem();
    }
    ADD_FAILURE() << "parse accepted: " << json;
    return BatchProblem::Malformed;
}

std::string messageOf(std::string_view json) {
    try {
        (void)Manifest::parse(json);
    } catch (const BatchFormatError& e) {
        return e.what();
    }
    return {};
}

TEST(Manifest, CanonicalJsonHasFixedOrderNoWhitespaceAndEscapes) {
    const std::string json = sample().canonicalJson();
    EXPECT_EQ(
        json,
        R"({"format_version":1,"batch_id":"00112233445566778899aabbccddeeff","sender":"france-travail",)"
        R"("recipient":"region","purpose":"region-survey-contact","fields":["last_name","email",)"
        R"("course \"A\"\n"],"record_count":42,"sender_key_id":"0123456789abcdef",)"
        R"("recipient_key_id":"fedcba9876543210","payload_digest":"sha256:)" +
            std::string(64, 'a') + R"(","created_at":"2026-11-29T08:36:38Z"})");
}

TEST(Manifest, ParseRoundTripIncludingUtf8AndControlCharacters) {
    Manifest m = sample();
    m.fields.push_back("insertion-\xc3\xa9tude\x01");  // field names are checked by the purpose, not here
    EXPECT_EQ(Manifest::parse(m.canonicalJson()), m);
    EXPECT_EQ(Manifest::senderOf(m.canonicalJson()), "france-travail");
}

TEST(Manifest, ParseNamesMissingOrWrongKey) {
    std::string json = sample().canonicalJson();
    const std::string noPurpose = std::string(json).replace(json.find("\"purpose\""), 9, "\"purposX\"");
    EXPECT_EQ(problemOf(noPurpose), BatchProblem::Malformed);
    EXPECT_NE(messageOf(noPurpose).find("\"purpose\""), std::string::npos) << messageOf(noPurpose);

    const std::string badCount = std::string(json).replace(json.find("42"), 2, "\"42\"");
    EXPECT_NE(messageOf(badCount).find("record_count"), std::string::npos) << messageOf(badCount);

    EXPECT_EQ(problemOf("not json"), BatchProblem::Malformed);
    EXPECT_EQ(problemOf("[1,2]"), BatchProblem::Malformed);
}

TEST(Manifest, ParseRejectsNonCanonicalForm) {
    const std::string json = sample().canonicalJson();
    std::string spaced = json;
    spaced.insert(1, " ");
    EXPECT_EQ(problemOf(spaced), BatchProblem::Malformed);
    std::string extra = json;
    extra.insert(extra.size() - 1, R"(,"extra":1)");
    EXPECT_EQ(problemOf(extra), BatchProblem::Malformed);
}

TEST(Manifest, UnknownVersionIsRefusedWithClearMessage) {
    Manifest m = sample();
    m.formatVersion = 2;
    EXPECT_EQ(problemOf(m.canonicalJson()), BatchProblem::UnsupportedVersion);
    EXPECT_EQ(messageOf(m.canonicalJson()), "unsupported batch format version 2 (this gateway reads 1)");
}

TEST(Manifest, NewBatchIdsAreRandomHex) {
    const std::string a = newBatchId();
    EXPECT_EQ(a.size(), 32u);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(a, newBatchId());
}

}  // namespace
}  // namespace passerelle::privacy
