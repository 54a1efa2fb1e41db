// Identifiers that become file names are refused by the parser that reads them,
// with an error naming the rule and never repeating the value.

#include "common/identifiers.h"

#include <gtest/gtest.h>

#include <string>

#include "privacy/batch_errors.h"
#include "privacy/manifest.h"

namespace passerelle {
namespace {

const std::string kGoodBatch = "00112233445566778899aabbccddeeff";

// Hostile or merely wrong batch and request ids: path tricks, wrong length, case, bytes.
std::vector<std::string> hostileHexIds() {
    return {"../x",
            "/tmp/x",
            "",
            ".incoming-0011223344556677",
            "..",
            ".",
            "00112233445566778899AABBCCDDEEFF",        // upper case
            kGoodBatch.substr(0, 31),                  // 31
            kGoodBatch + "0",                          // 33
            std::string("0011223344556677\0" "8899aabbccddeef", 32),  // a NUL
            "0011223344556677889\xc3\xa9" "abbccddeef",           // unicode
            "00112233445566778899aabbccddee/f",
            "00112233445566778899aabbccddeeg0"};
}

TEST(BatchId, AcceptsExactly32LowerCaseHexCharactersAsNewBatchIdMakesThem) {
    EXPECT_EQ(BatchId::parse(kGoodBatch).str(), kGoodBatch);
    for (int i = 0; i < 100; ++i) {
        const std::string fresh = privacy::newBatchId();
        EXPECT_TRUE(BatchId::isValid(fresh)) << fresh;
    }
}

TEST(BatchId, RefusesEveryHostileIdNamingTheRuleNotTheValue) {
    for (const std::string& id : hostileHexIds()) {
        SCOPED_TRACE(testing::PrintToString(id));
        EXPECT_FALSE(BatchId::isValid(id));
        try {
            (void)BatchId::parse(id);
            ADD_FAILURE() << "accepted";
        } catch (const IdentifierError& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find("a batch id must be exactly 32 lower-case hexadecimal characters"),
                      std::string::npos)
                << message;
            if (id.size() > 2) {
                EXPECT_EQ(message.find(id), std::string::npos) << "the value is repeated";
            }
        }
    }
}

TEST(RequestId, FollowsTheSameRuleAsBatchIds) {
    EXPECT_NO_THROW((void)RequestId::parse(kGoodBatch));
    for (const std::string& id : hostileHexIds()) {
        SCOPED_TRACE(testing::PrintToString(id));
        EXPECT_THROW((void)RequestId::parse(id), IdentifierError);
    }
}

TEST(PartyId, AcceptsTheConventionsPartiesAndRefusesWhatCouldBeAPath) {
    for (const char* id : {"region-occitanie", "univ-montpellier", "univ-toulouse3", "imt-mines-albi", "unimes",
                           "isae-supaero", "univ-exemple", "a", "p_1"}) {
        EXPECT_NO_THROW((void)PartyId::parse(id)) << id;
    }
    EXPECT_NO_THROW((void)PartyId::parse(std::string(64, 'a')));
    for (const std::string& id :
         {std::string("../x"), std::string("/tmp/x"), std::string(""), std::string(".hidden"), std::string("-x"),
          std::string("_x"), std::string("Univ"), std::string("univ montpellier"), std::string(65, 'a'),
          std::string("univ\0x", 6), std::string("univ-\xc3\xa9"), std::string("univ.montpellier")}) {
        SCOPED_TRACE(testing::PrintToString(id));
        EXPECT_THROW((void)PartyId::parse(id), IdentifierError);
    }
}

TEST(PurposeId, FollowsThePartyRule) {
    EXPECT_NO_THROW((void)PurposeId::parse("insertion-outcome"));
    EXPECT_NO_THROW((void)PurposeId::parse("region-survey-contact"));
    EXPECT_THROW((void)PurposeId::parse("../insertion-outcome"), IdentifierError);
    EXPECT_THROW((void)PurposeId::parse("insertion-\xc3\xa9tude"), IdentifierError);
}

TEST(ChildPath, IsADirectChildOfItsFolder) {
    const std::filesystem::path inbox = "/state/inbox";
    EXPECT_EQ(childPath(inbox, BatchId::parse(kGoodBatch)), inbox / kGoodBatch);
    EXPECT_EQ(childPath(std::filesystem::path("/state/carried/"), BatchId::parse(kGoodBatch), ".pseudonyms"),
              std::filesystem::path("/state/carried") / (kGoodBatch + ".pseudonyms"));
}

TEST(RequireDirectChild, RefusesAnythingThatLeavesOrIsTheFolder) {
    const std::filesystem::path inbox = "/state/inbox";
    EXPECT_NO_THROW(requireDirectChild(inbox, inbox / "x"));
    for (const std::filesystem::path& p :
         {inbox / "..", inbox / ".", inbox, inbox / "a" / "b", std::filesystem::path("/tmp/x"),
          inbox / "../x", std::filesystem::path("/state/inbox-other/x")}) {
        EXPECT_THROW(requireDirectChild(inbox, p), StoreError) << p;
    }
}

// The manifest parser applies the rules to the keys that become paths and lookups.
privacy::Manifest sampleManifest() {
    privacy::Manifest m;
    m.batchId = kGoodBatch;
    m.sender = "univ-montpellier";
    m.recipient = "region-occitanie";
    m.purpose = "insertion-outcome";
    m.fields = {"pseudonym", "course_title"};
    m.recordCount = 1;
    m.senderKeyId = "0123456789abcdef";
    m.recipientKeyId = "fedcba9876543210";
    m.payloadDigest = "sha256:" + std::string(64, 'a');
    m.createdAt = "2026-11-29T08:36:38Z";
    return m;
}

std::string refusalOf(const privacy::Manifest& m) {
    try {
        (void)privacy::Manifest::parse(m.canonicalJson());
    } catch (const privacy::BatchFormatError& e) {
        EXPECT_EQ(e.problem(), privacy::BatchProblem::Malformed);
        return e.what();
    }
    return {};
}

TEST(ManifestIdentifiers, EachHostileBatchIdIsRefusedByTheParserNamingTheKey) {
    EXPECT_NO_THROW((void)privacy::Manifest::parse(sampleManifest().canonicalJson()));
    for (const std::string& id : hostileHexIds()) {
        SCOPED_TRACE(testing::PrintToString(id));
        privacy::Manifest m = sampleManifest();
        m.batchId = id;
        const std::string refusal = refusalOf(m);
        EXPECT_NE(refusal.find("key \"batch_id\": a batch id must be"), std::string::npos) << refusal;
    }
}

TEST(ManifestIdentifiers, SenderRecipientPurposeAndKeyIdsFollowTheirRules) {
    for (const char* key : {"sender", "recipient", "purpose"}) {
        for (const std::string bad : {"../x", "/tmp/x", "", "Univ"}) {
            privacy::Manifest m = sampleManifest();
            (key == std::string("sender") ? m.sender : key == std::string("recipient") ? m.recipient : m.purpose) =
                bad;
            const std::string refusal = refusalOf(m);
            EXPECT_NE(refusal.find(std::string("key \"") + key + "\""), std::string::npos) << key << ": " << refusal;
        }
    }
    privacy::Manifest m = sampleManifest();
    m.recipientKeyId = "../../keys/box.key";
    EXPECT_NE(refusalOf(m).find("recipient_key_id"), std::string::npos);
    m = sampleManifest();
    m.payloadDigest = "sha256:" + std::string(64, 'G');
    EXPECT_NE(refusalOf(m).find("payload_digest"), std::string::npos);
}

}  // namespace
}  // namespace passerelle
