#include "ledger/entry.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "common/errors.h"
#include "ledger/leaf_hash.h"

namespace passerelle::ledger {
namespace {

LedgerEntry sample() {
    LedgerEntry e;
    e.index = 7;
    e.time = "2026-11-29T08:36:38Z";
    e.actor = "univ-montpellier";
    e.operation = "transfer.sent";
    e.purpose = "internship-agreement";
    e.legalBasis = "art6-1-e";
    e.counterpart = "region-occitanie";
    e.batchId = "b-0001";
    e.payloadDigest = "sha256:00ff";
    e.outcome = "ok";
    e.reason = "";
    e.fields = {"pseudonym", "programme"};
    e.recordCount = 42;
    return e;
}

TEST(CanonicalBytes, AreExactlyTheDocumentedForm) {
    EXPECT_EQ(canonicalBytes(sample()),
              R"({"actor":"univ-montpellier","batch_id":"b-0001","counterpart":"region-occitanie",)"
              R"("fields":["pseudonym","programme"],"index":7,"legal_basis":"art6-1-e",)"
              R"("operation":"transfer.sent","outcome":"ok","payload_digest":"sha256:00ff",)"
              R"("purpose":"internship-agreement","reason":"","record_count":42,)"
              R"("time":"2026-11-29T08:36:38Z"})");
}

TEST(CanonicalBytes, AreStableAcrossCallsAndCopies) {
    const LedgerEntry a = sample();
    LedgerEntry b = a;
    EXPECT_EQ(canonicalBytes(a), canonicalBytes(b));
    b.recordCount = 43;
    EXPECT_NE(canonicalBytes(a), canonicalBytes(b));
}

TEST(CanonicalBytes, EscapeQuotesBackslashesAndControlCharacters) {
    LedgerEntry e = sample();
    e.reason = "said \"no\" \\ twice\n\t\x01\x1f";
    const std::string bytes = canonicalBytes(e);
    EXPECT_NE(bytes.find(R"("reason":"said \"no\" \\ twice\n\t\u0001\u001f")"), std::string::npos) << bytes;
    EXPECT_EQ(parseEntry(bytes), e);
}

TEST(CanonicalBytes, KeepUnicodeAsRawUtf8) {
    LedgerEntry e = sample();
    e.counterpart = "Région Occitanie — Université Toulouse III 😀";
    const std::string bytes = canonicalBytes(e);
    EXPECT_NE(bytes.find("\"counterpart\":\"Région Occitanie — Université Toulouse III 😀\""),
              std::string::npos);
    EXPECT_EQ(parseEntry(bytes), e);
}

TEST(CanonicalBytes, RefuseInvalidUtf8) {
    LedgerEntry e = sample();
    e.actor = "bad\xC3";  // truncated sequence
    EXPECT_THROW(canonicalBytes(e), LedgerError);
    e.actor = "\xC0\xAF";  // overlong '/'
    EXPECT_THROW(canonicalBytes(e), LedgerError);
    e.actor = "\xED\xA0\x80";  // surrogate
    EXPECT_THROW(canonicalBytes(e), LedgerError);
}

TEST(ParseEntry, RoundTripsTheLargestNumbers) {
    LedgerEntry e = sample();
    e.index = UINT64_MAX;
    e.recordCount = UINT64_MAX;
    e.fields.clear();
    EXPECT_EQ(parseEntry(canonicalBytes(e)), e);
}

TEST(ParseEntry, RefusesAnyOtherSpellingOfTheSameEntry) {
    const std::string good = canonicalBytes(sample());
    auto replaced = [&](const std::string& from, const std::string& to) {
        std::string s = good;
        s.replace(s.find(from), from.size(), to);
        return s;
    };
    EXPECT_THROW(parseEntry(" " + good), LedgerError);                                  // spacing
    EXPECT_THROW(parseEntry(replaced("\"index\":7", "\"index\": 7")), LedgerError);     // spacing
    EXPECT_THROW(parseEntry(replaced("\"ok\"", "\"\\u006fk\"")), LedgerError);          // needless escape
    EXPECT_THROW(parseEntry(replaced("\"index\":7", "\"index\":7.0")), LedgerError);    // number form
    EXPECT_THROW(parseEntry(replaced("\"index\":7", "\"index\":\"7\"")), LedgerError);  // wrong type
    EXPECT_THROW(parseEntry(replaced("\"index\":7", "\"index\":-7")), LedgerError);     // negative
    EXPECT_THROW(parseEntry(replaced("\"reason\":\"\",", "")), LedgerError);            // missing key
    EXPECT_THROW(parseEntry(replaced("\"reason\":\"\"", "\"reason\":\"\",\"reason\":\"\"")),
                 LedgerError);  // duplicate
    EXPECT_THROW(parseEntry(replaced("\"reason\":\"\"", "\"reason\":\"\",\"extra\":\"\"")),
                 LedgerError);                                               // extra key
    EXPECT_THROW(parseEntry(good.substr(0, good.size() - 1)), LedgerError);  // truncated
    EXPECT_THROW(parseEntry("[]"), LedgerError);
    EXPECT_THROW(parseEntry(""), LedgerError);
}

TEST(Chain, LeafHashIsRfc9162LeafHash) {
    // SHA-256 of the single byte 0x00 (the RFC 9162 hash of an empty leaf).
    EXPECT_EQ(toHex(leafHash("")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

}  // namespace
}  // namespace passerelle::ledger
