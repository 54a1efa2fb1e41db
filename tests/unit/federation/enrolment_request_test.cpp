// The enrolment request's file and the fingerprint read over the phone.

#include <gtest/gtest.h>

#include "federation/enrolment_answer.h"
#include "federation/enrolment_request.h"

namespace passerelle::federation {
namespace {

EnrolmentRequest sample() {
    EnrolmentRequest r;
    r.party = "univ-montpellier";
    r.uai = "0342321N";
    r.name = "Université de Montpellier";
    r.contact = "passerelle-admin@umontpellier.example";
    r.csrPem = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
    r.publicKeys = "party = univ-montpellier\n";
    r.created = "2026-11-29T08:36:38Z";
    return r;
}

std::string refusal(const std::string& text) {
    try {
        EnrolmentRequest::parse(text, "req.json");
    } catch (const EnrolmentError& e) {
        return e.what();
    }
    return "(accepted)";
}

TEST(EnrolmentRequestFile, ReadsBackWhatItWrote) {
    const auto text = sample().toJson();
    EXPECT_TRUE(text.starts_with("{\"format\":\"passerelle-enrolment-request/1\",\"party\":\"univ-montpellier\""))
        << text;
    const auto read = EnrolmentRequest::parse(text, "req.json");
    EXPECT_EQ(read.party, "univ-montpellier");
    EXPECT_EQ(read.uai, "0342321N");
    EXPECT_EQ(read.name, "Université de Montpellier");
    EXPECT_EQ(read.csrPem, sample().csrPem);
    EXPECT_EQ(read.publicKeys, sample().publicKeys);
    EXPECT_EQ(read.toJson(), text);
}

TEST(EnrolmentRequestFile, AMissingOrUnknownMemberOrAnotherFormatIsRefusedNamingTheFile) {
    std::string text = sample().toJson();
    std::string missing = text;
    missing.replace(missing.find(",\"uai\":\"0342321N\""), std::string(",\"uai\":\"0342321N\"").size(), "");
    EXPECT_NE(refusal(missing).find("req.json: the enrolment request has no 'uai'"), std::string::npos)
        << refusal(missing);
    std::string unknown = text;
    unknown.insert(1, "\"extra\":\"x\",");
    EXPECT_NE(refusal(unknown).find("unknown member 'extra'"), std::string::npos) << refusal(unknown);
    std::string other = text;
    other.replace(other.find("request/1"), 9, "request/9");
    EXPECT_NE(refusal(other).find("not an enrolment request of format"), std::string::npos);
    EXPECT_NE(refusal("not json").find("req.json: not an enrolment request"), std::string::npos);
    EXPECT_NE(refusal("not json").find("nothing was changed"), std::string::npos);
}

// The party ids name key files and configuration sections at the other end: a value that
// could climb out of a folder or break out of a section header is refused where it is read.
TEST(EnrolmentRequestFile, APartyThatIsNotAPartyIdIsRefusedWithoutBeingQuoted) {
    for (const std::string party : {"../../etc/cron.d/x", "univ]\n[tls", "Univ-Montpellier", ""}) {
        EnrolmentRequest r = sample();
        r.party = party;
        const std::string why = refusal(r.toJson());
        EXPECT_NE(why.find("req.json: the enrolment request's 'party' is not a party id"), std::string::npos) << why;
        if (!party.empty()) {
            EXPECT_EQ(why.find(party), std::string::npos) << why;
        }
    }
}

TEST(EnrolmentAnswerFile, APartyOrRegionThatIsNotAPartyIdIsRefusedWithoutBeingQuoted) {
    EnrolmentAnswer a;
    a.party = "univ-montpellier";
    a.region = "region-occitanie";
    a.regionUrl = "https://region.example:8443";
    a.created = "2026-11-29T08:36:38Z";
    EXPECT_EQ(EnrolmentAnswer::parse(a.toJson(), "answer.json").region, "region-occitanie");
    for (const bool region : {false, true}) {
        EnrolmentAnswer bad = a;
        (region ? bad.region : bad.party) = "../../home/x/.ssh/authorized_keys";
        try {
            EnrolmentAnswer::parse(bad.toJson(), "answer.json");
            ADD_FAILURE() << "accepted";
        } catch (const EnrolmentError& e) {
            const std::string why = e.what();
            EXPECT_NE(why.find(region ? "'region' is not a party id" : "'party' is not a party id"), std::string::npos)
                << why;
            EXPECT_EQ(why.find("authorized_keys"), std::string::npos) << why;
        }
    }
}

TEST(EnrolmentFingerprint, IsTheFirst80BitsOfSha256InBase32InFourGroups) {
    // SHA-256("abc") = ba7816bf8f01cfea4141…; base32 of its first 10 bytes (RFC 4648).
    EXPECT_EQ(enrolmentFingerprint("abc"), "XJ4B-NP4P-AHH6-UQKB");
    EXPECT_NE(enrolmentFingerprint("abd"), enrolmentFingerprint("abc"));
}

TEST(EnrolmentFingerprint, MatchesIgnoringCaseSpacesAndDashesOnly) {
    EXPECT_TRUE(fingerprintMatches("xj4bnp4p ahh6 uqkb", "XJ4B-NP4P-AHH6-UQKB"));
    EXPECT_TRUE(fingerprintMatches("XJ4B-NP4P-AHH6-UQKB", "XJ4B-NP4P-AHH6-UQKB"));
    EXPECT_FALSE(fingerprintMatches("XJ4B-NP4P-AHH6-UQKC", "XJ4B-NP4P-AHH6-UQKB"));
    EXPECT_FALSE(fingerprintMatches("XJ4B-NP4P-AHH6", "XJ4B-NP4P-AHH6-UQKB"));
    EXPECT_FALSE(fingerprintMatches("", "XJ4B-NP4P-AHH6-UQKB"));
}

}  // namespace
}  // namespace passerelle::federation
