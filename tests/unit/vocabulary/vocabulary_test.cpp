// The gateway's two vocabularies against the documents a reader relies on: every
// ledger operation and outcome (ledger/operation.h) in docs/ledger.md, and the
// wire error table (transport/wire_error.h) equal to the error codes
// docs/openapi.json and docs/openapi-admin.json declare, each under its status.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "common/errors.h"
#include "ledger/entry.h"
#include "ledger/operation.h"
#include "privacy/manifest.h"
#include "transport/http_error.h"
#include "transport/wire_error.h"

namespace passerelle {
namespace {

namespace fs = std::filesystem;

const fs::path kDocs = fs::path(PASSERELLE_SOURCE_DIR) / "docs";

std::string readText(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    EXPECT_TRUE(in) << "cannot read " << file;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// --- the ledger's operations and outcomes

TEST(LedgerVocabulary, EveryOperationHasOneTextAndReadsBack) {
    constexpr int kCount = static_cast<int>(ledger::Operation::ConnectionRefused) + 1;
    EXPECT_EQ(ledger::kOperations.size(), static_cast<std::size_t>(kCount))
        << "an operation without a row, or two";
    std::set<std::string_view> texts;
    for (int i = 0; i < kCount; ++i) {
        const auto op = static_cast<ledger::Operation>(i);
        const std::string_view text = ledger::toText(op);
        ASSERT_FALSE(text.empty()) << "operation #" << i << " has no text";
        EXPECT_TRUE(texts.insert(text).second) << text << " names two operations";
        EXPECT_EQ(ledger::operationNamed(text), op) << text;
        EXPECT_EQ(ledger::parseOperation(text), op) << text;
    }
}

TEST(LedgerVocabulary, EveryOutcomeHasOneTextAndReadsBack) {
    constexpr int kCount = static_cast<int>(ledger::Outcome::Adopted) + 1;
    EXPECT_EQ(ledger::kOutcomes.size(), static_cast<std::size_t>(kCount))
        << "an outcome without a row, or two";
    std::set<std::string_view> texts;
    for (int i = 0; i < kCount; ++i) {
        const auto outcome = static_cast<ledger::Outcome>(i);
        const std::string_view text = ledger::toText(outcome);
        ASSERT_FALSE(text.empty()) << "outcome #" << i << " has no text";
        EXPECT_TRUE(texts.insert(text).second) << text << " names two outcomes";
        EXPECT_EQ(ledger::outcomeNamed(text), outcome) << text;
    }
}

TEST(LedgerVocabulary, AnOperationTypedByHandIsRefusedWithTheKnownOnes) {
    EXPECT_FALSE(ledger::operationNamed("batch-seal"));
    EXPECT_FALSE(ledger::operationNamed(ledger::kBlankedEntryOperation))
        << "never stored, so never an operation";
    try {
        (void)ledger::parseOperation("batch-seal");
        FAIL() << "a misspelt operation was taken";
    } catch (const LedgerError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("'batch-seal' is not a ledger operation"), std::string::npos) << what;
        EXPECT_NE(what.find("batch-sealed"), std::string::npos) << what;
        EXPECT_NE(what.find("docs/ledger.md"), std::string::npos) << what;
    }
}

TEST(LedgerVocabulary, EveryOperationAndOutcomeIsInDocsLedgerMd) {
    const std::string doc = readText(kDocs / "ledger.md");
    for (const auto& row : ledger::kOperations) {
        EXPECT_NE(doc.find("| `" + std::string(row.text) + "`"), std::string::npos)
            << row.text << " is not a row of docs/ledger.md's operations";
    }
    for (const auto& row : ledger::kOutcomes) {
        EXPECT_NE(doc.find("`" + std::string(row.text) + "`"), std::string::npos)
            << "outcome " << row.text << " is not in docs/ledger.md";
    }
}

// An entry's bytes are what its hash commits to: a named constructor must give the
// same bytes as the entry written field by field before it existed.
TEST(LedgerVocabulary, NamedConstructorsGiveTheBytesOfAHandBuiltEntry) {
    privacy::Manifest manifest;
    manifest.batchId = "b-0001";
    manifest.sender = "univ-montpellier";
    manifest.recipient = "region-occitanie";
    manifest.purpose = "internship-agreement";
    manifest.fields = {"pseudonym", "programme"};
    manifest.recordCount = 42;
    manifest.payloadDigest = "sha256:00ff";
    ledger::LedgerEntry received =
        ledger::LedgerEntry::aboutBatch(ledger::Operation::BatchReceived, ledger::Outcome::Stored,
                                        "CN=univ-montpellier", manifest, "art6-1-e", manifest.sender);
    received.index = 7;
    received.time = "2026-11-29T08:36:38Z";
    EXPECT_EQ(ledger::canonicalBytes(received),
              R"({"actor":"CN=univ-montpellier","batch_id":"b-0001","counterpart":"univ-montpellier",)"
              R"("fields":["pseudonym","programme"],"index":7,"legal_basis":"art6-1-e",)"
              R"("operation":"batch-received","outcome":"stored","payload_digest":"sha256:00ff",)"
              R"("purpose":"internship-agreement","reason":"","record_count":42,)"
              R"("time":"2026-11-29T08:36:38Z"})");

    ledger::LedgerEntry refused =
        ledger::LedgerEntry::fromPeer(ledger::Operation::BatchRefused, ledger::Outcome::Refused,
                                      "CN=univ-toulouse3", "univ-toulouse3", "why");
    EXPECT_EQ(refused.actor, "CN=univ-toulouse3");
    EXPECT_EQ(refused.counterpart, "univ-toulouse3");
    EXPECT_EQ(refused.operation, "batch-refused");
    EXPECT_EQ(refused.outcome, "refused");
    EXPECT_EQ(refused.reason, "why");
    EXPECT_TRUE(refused.is(ledger::Operation::BatchRefused));
}

// An entry of an operation this version does not write (an older or newer gateway's)
// keeps its text: read, compared and re-encoded to the same bytes.
TEST(LedgerVocabulary, AnEntryOfAnUnknownOperationKeepsItsText) {
    ledger::LedgerEntry entry =
        ledger::LedgerEntry::of(ledger::Operation::LedgerMigrated, ledger::Outcome::Migrated, "gateway");
    entry.index = 1;
    entry.time = "2026-11-29T08:36:38Z";
    entry.operation = "checkpoint-exported";
    const std::string bytes = ledger::canonicalBytes(entry);
    const ledger::LedgerEntry read = ledger::parseEntry(bytes);
    EXPECT_EQ(read.operation, "checkpoint-exported");
    EXPECT_FALSE(ledger::operationNamed(read.operation));
    EXPECT_EQ(ledger::canonicalBytes(read), bytes);
}

// --- the wire error codes

// Every error enum of an OpenAPI file, by the response status it is declared under
// (a $ref to #/components/responses is followed from the status that names it).
class OpenApiErrors {
public:
    explicit OpenApiErrors(const fs::path& file) {
        doc_ = Poco::JSON::Parser().parse(readText(file)).extract<Poco::JSON::Object::Ptr>();
        walk(doc_, "");
    }
    // code -> the statuses it is declared under ("" when only in a component)
    const std::map<std::string, std::set<std::string>>& codes() const { return codes_; }

private:
    static bool isStatus(const std::string& key) {
        return key.size() == 3 && key.find_first_not_of("0123456789") == std::string::npos;
    }

    void walk(const Poco::Dynamic::Var& node, const std::string& status) {
        if (node.type() == typeid(Poco::JSON::Array::Ptr)) {
            const auto array = node.extract<Poco::JSON::Array::Ptr>();
            for (std::size_t i = 0; i < array->size(); ++i)
                walk(array->get(static_cast<unsigned>(i)), status);
            return;
        }
        if (node.type() != typeid(Poco::JSON::Object::Ptr)) return;
        const auto object = node.extract<Poco::JSON::Object::Ptr>();
        if (object->has("$ref") && !status.empty()) {
            const std::string ref = object->getValue<std::string>("$ref");
            if (ref.starts_with("#/components/responses/")) {
                walk(doc_->getObject("components")->getObject("responses")->get(ref.substr(23)), status);
            }
        }
        for (const auto& [key, value] : *object) {
            if (key == "error" && value.type() == typeid(Poco::JSON::Object::Ptr)) {
                const auto error = value.extract<Poco::JSON::Object::Ptr>();
                if (const auto values = error->getArray("enum")) {
                    for (std::size_t i = 0; i < values->size(); ++i) {
                        codes_[values->getElement<std::string>(static_cast<unsigned>(i))].insert(status);
                    }
                }
            }
            walk(value, isStatus(key) ? key : status);
        }
    }

    Poco::JSON::Object::Ptr doc_;
    std::map<std::string, std::set<std::string>> codes_;
};

TEST(WireErrors, EachCodeIsOneRowWithItsStatus) {
    std::set<std::string_view> codes;
    for (const auto& row : transport::kWireErrors) {
        EXPECT_TRUE(codes.insert(row.code).second) << row.code << " is two rows";
        EXPECT_FALSE(row.meaning.empty()) << row.code;
        EXPECT_GE(static_cast<int>(row.status), 400) << row.code;
        const transport::HttpError error(row.error, "message");
        EXPECT_EQ(error.code(), row.code);
        EXPECT_EQ(error.status(), row.status);
    }
}

TEST(WireErrors, TheTableIsExactlyTheCodesTheOpenApiFilesDeclare) {
    std::map<std::string, std::set<std::string>> documented;
    for (const char* name : {"openapi.json", "openapi-admin.json"}) {
        ASSERT_TRUE(fs::exists(kDocs / name)) << name;
        const OpenApiErrors file(kDocs / name);
        for (const auto& [code, statuses] : file.codes()) {
            documented[code].insert(statuses.begin(), statuses.end());
        }
    }
    for (const auto& row : transport::kWireErrors) {
        const std::string code(row.code);
        const auto it = documented.find(code);
        if (it == documented.end()) {
            ADD_FAILURE() << code << " is answered by the gateway but in no error enum of docs/openapi*.json";
            continue;
        }
        const std::string status = std::to_string(static_cast<int>(row.status));
        EXPECT_TRUE(it->second.contains(status)) << code << " is not documented under its status " << status;
        for (const std::string& other : it->second) {
            EXPECT_TRUE(other.empty() || other == status)
                << code << " is documented under " << other << ", the gateway answers it with " << status;
        }
    }
    std::set<std::string> table;
    for (const auto& row : transport::kWireErrors) table.emplace(row.code);
    for (const auto& [code, statuses] : documented) {
        EXPECT_TRUE(table.contains(code)) << code << " is documented but not in transport/wire_error.h";
    }
}

}  // namespace
}  // namespace passerelle
