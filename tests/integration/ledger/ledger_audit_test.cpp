// The DPO's tools on real ledgers: after real transfers of both purposes, the
// export is checked by an independent implementation (tests/tools/verify-ledger-export:
// Python's SHA-256 and openssl's Ed25519), entries come with verifying proofs,
// and every kind of tampering with the ledger file is named by `audit verify`.

#include <sqlite3.h>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SHA2Engine.h>

#include "../support/exchange_fixture.h"
#include "audit/audit.h"
#include "audit/retention.h"
#include "party/gateway.h"

namespace passerelle::integration {
namespace {

std::string fromBase64(const std::string& text) {
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in);
    return {std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>()};
}

std::string toBase64(const std::string& bytes) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

std::string sha256Hex(const std::string& bytes) {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(bytes);
    return Poco::DigestEngine::digestToHex(sha.digest());
}

const fs::path kVerifier = fs::path(PASSERELLE_SOURCE_DIR) / "tests" / "tools" / "verify-ledger-export";

class LedgerAuditTest : public ExchangeTest {
protected:
    // Both purposes sent by univ-montpellier and receipted; both gateways stopped.
    void SetUp() override {
        ExchangeTest::SetUp();
        auto region = startMontpellierExchange(makeExport("univ-montpellier", 40, 0, 11), inst_);
        ASSERT_TRUE(region);
        for (const char* job : {"survey-contact", "statistics"}) {
            const auto r = passerelle({"transfer", "--config", inst_.config.string(), "--job", job, "--json"},
                                      std::string("transfer.") + job);
            ASSERT_EQ(r.exitCode, 0) << r << "\n--- region log ---\n" << region->log();
            batches_.push_back(parseJson(r.out)->optValue<std::string>("batch_id", ""));
        }
        ASSERT_TRUE(waitUntil([&] { return sinkBatchFiles().size() == 2; }, 15s)) << region->log();
        stopGateway(region->process());
    }

    CommandResult run(const std::vector<std::string>& args, const fs::path& config) {
        std::vector<std::string> all = args;
        all.insert(all.end(), {"--config", config.string()});
        return passerelle(all, args.front() + "." + std::to_string(++runs_));
    }

    // `audit export` of a party, written to a file.
    fs::path exportLedger(const fs::path& config, const std::string& name) {
        const auto r = run({"audit", "export"}, config);
        EXPECT_EQ(r.exitCode, 0) << r;
        const fs::path file = root() / (name + ".jsonl");
        writeFile(file, r.out);
        return file;
    }

    CommandResult verifyIndependently(const fs::path& exportFile, std::vector<std::string> extra = {}) {
        std::vector<std::string> argv = {kVerifier.string(), exportFile.string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return runCommand(argv, logs() / ("verify-export." + std::to_string(++runs_)), 60s);
    }

    // Runs SQL on the institution's ledger file as an administrator with write
    // access would, after dropping the append-only triggers.
    void tamper(const std::string& sql) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((inst_.stateDir() / "ledger.db").c_str(), &db), SQLITE_OK);
        const std::string all =
            "DROP TRIGGER ledger_entries_no_update; DROP TRIGGER ledger_entries_no_delete; "
            "DROP TRIGGER ledger_checkpoints_no_update; DROP TRIGGER ledger_checkpoints_no_delete; "
            "DROP TRIGGER peer_checkpoints_no_update; DROP TRIGGER peer_checkpoints_no_delete; " +
            sql;
        char* error = nullptr;
        const int rc = sqlite3_exec(db, all.c_str(), nullptr, nullptr, &error);
        EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "") << "\n" << sql;
        sqlite3_free(error);
        sqlite3_close(db);
    }

    // `audit verify` on the institution must fail and say `expected`.
    void expectVerifyNames(const std::string& expected) {
        const auto r = run({"audit", "verify"}, inst_.config);
        EXPECT_EQ(r.exitCode, 1) << r;
        EXPECT_NE(r.out.find(expected), std::string::npos) << "audit verify must say: " << expected << "\n" << r;
    }

    std::uint64_t entryCount() {
        const auto r = run({"audit", "list", "--json"}, inst_.config);
        Poco::JSON::Parser parser;
        return parser.parse(r.out).extract<Poco::JSON::Array::Ptr>()->size();
    }

    Institution inst_;
    std::vector<std::string> batches_;
    int runs_ = 0;
};

TEST_F(LedgerAuditTest, ExportsOfBothSidesVerifyWithAnIndependentImplementation) {
    ASSERT_FALSE(HasFailure());
    for (const auto& [config, name] : {std::pair{inst_.config, "univ-montpellier"}, std::pair{regionConfig(), "region"}}) {
        const auto r = verifyIndependently(exportLedger(config, name));
        EXPECT_EQ(r.exitCode, 0) << r;
        EXPECT_NE(r.out.find("verifies"), std::string::npos) << r;
    }
}

TEST_F(LedgerAuditTest, TheKeyFromKeysExportPublicVerifiesTheCheckpoints) {
    ASSERT_FALSE(HasFailure());
    const auto keys = run({"keys", "export-public"}, inst_.config);
    ASSERT_EQ(keys.exitCode, 0) << keys;
    const auto at = keys.out.find("sign_public_key = ");
    ASSERT_NE(at, std::string::npos) << keys;
    const std::string key = keys.out.substr(at + 18, 64);
    EXPECT_NE(keys.out.find("ledger checkpoints"), std::string::npos) << "the key must be labelled\n" << keys;

    const fs::path exported = exportLedger(inst_.config, "univ-montpellier");
    EXPECT_EQ(verifyIndependently(exported, {"--key", key}).exitCode, 0);
    const auto other = verifyIndependently(exported, {"--key", std::string(64, '1')});
    EXPECT_EQ(other.exitCode, 1) << other;
    EXPECT_NE(other.out.find("is not the key"), std::string::npos) << other;

    // The right key, another signature.
    std::string text = readFile(exported);
    const auto at2 = text.find("\"signature\":\"");
    ASSERT_NE(at2, std::string::npos);
    text.replace(at2 + 13, 88, toBase64(std::string(64, 'x')));
    writeFile(exported, text);
    const auto forged = verifyIndependently(exported, {"--key", key});
    EXPECT_EQ(forged.exitCode, 1) << forged;
    EXPECT_NE(forged.out.find("signature does not verify"), std::string::npos) << forged;
}

TEST_F(LedgerAuditTest, AnExportWithOneEntryChangedFailsIndependentVerification) {
    ASSERT_FALSE(HasFailure());
    const fs::path exported = exportLedger(inst_.config, "univ-montpellier");
    std::string text = readFile(exported);
    // Entry 2's hashed bytes and leaf hash replaced consistently: only the signed root can tell.
    const auto line = text.find("{\"type\":\"entry\",\"index\":2,");
    ASSERT_NE(line, std::string::npos);
    const auto end = text.find('\n', line);
    auto entry = parseJson(text.substr(line, end - line));
    std::string forged = fromBase64(entry->getValue<std::string>("entry_b64"));
    const auto count = forged.find("\"record_count\":");
    ASSERT_NE(count, std::string::npos);
    forged.insert(count + 15, "9");
    entry->set("entry_b64", toBase64(forged));
    std::string prefixed = std::string(1, '\0') + forged;
    entry->set("leaf_hash", sha256Hex(prefixed));
    std::ostringstream replaced;
    entry->stringify(replaced);
    text.replace(line, end - line, replaced.str());
    writeFile(exported, text);

    const auto r = verifyIndependently(exported);
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_NE(r.out.find("is not the signed root"), std::string::npos) << r;
}

TEST_F(LedgerAuditTest, ShowGivesEachEntryOfABatchWithAVerifyingProof) {
    ASSERT_FALSE(HasFailure());
    const auto r = run({"audit", "show", batches_.front(), "--json"}, inst_.config);
    ASSERT_EQ(r.exitCode, 0) << r;
    Poco::JSON::Parser parser;
    const auto shown = parser.parse(r.out).extract<Poco::JSON::Array::Ptr>();
    ASSERT_GE(shown->size(), 2u) << "a batch has at least its sealed and receipted entries\n" << r;
    for (std::size_t i = 0; i < shown->size(); ++i) {
        const auto item = shown->getObject(static_cast<unsigned>(i));
        EXPECT_EQ(item->getObject("entry")->getValue<std::string>("batch_id"), batches_.front());
        EXPECT_TRUE(item->getObject("proof")->getValue<bool>("verifies")) << r;
        EXPECT_EQ(item->getObject("proof")->getValue<std::string>("root_hash"),
                  item->getObject("checkpoint")->getValue<std::string>("root_hash"));
    }
    const auto text = run({"audit", "show", "1"}, inst_.config);
    EXPECT_EQ(text.exitCode, 0) << text;
    EXPECT_NE(text.out.find("proof verifies"), std::string::npos) << text;
    EXPECT_EQ(run({"audit", "show", "9999"}, inst_.config).exitCode, 1);
}

TEST_F(LedgerAuditTest, ListFiltersByPurposeOperationAndCounterpart) {
    ASSERT_FALSE(HasFailure());
    Poco::JSON::Parser parser;
    const auto r = run({"audit", "list", "--purpose", kStatisticsPurpose, "--json"}, inst_.config);
    ASSERT_EQ(r.exitCode, 0) << r;
    const auto list = parser.parse(r.out).extract<Poco::JSON::Array::Ptr>();
    ASSERT_GT(list->size(), 0u);
    for (std::size_t i = 0; i < list->size(); ++i) {
        EXPECT_EQ(list->getObject(static_cast<unsigned>(i))->getValue<std::string>("purpose"), kStatisticsPurpose);
    }
    const auto sealed = run({"audit", "list", "--operation", "batch-sealed", "--counterpart", kRegion}, inst_.config);
    EXPECT_NE(sealed.out.find("2 entries"), std::string::npos) << sealed;
    const auto none = run({"audit", "list", "--from", "2999-01-01"}, inst_.config);
    EXPECT_NE(none.out.find("0 entries"), std::string::npos) << none;
    EXPECT_EQ(run({"audit", "list", "--from", "yesterday"}, inst_.config).exitCode, 2);
}

// A misspelt operation would list nothing, read as "it never happened": it is refused.
TEST_F(LedgerAuditTest, ListRefusesAnOperationTheLedgerDoesNotName) {
    ASSERT_FALSE(HasFailure());
    const auto r = run({"audit", "list", "--operation", "batch-seal"}, inst_.config);
    EXPECT_EQ(r.exitCode, 2) << r;
    EXPECT_NE(r.err.find("'batch-seal' is not a ledger operation"), std::string::npos) << r;
    // What older versions wrote, and what a blanked entry shows, still filter.
    EXPECT_EQ(run({"audit", "list", "--operation", "connection-refused"}, inst_.config).exitCode, 0);
    EXPECT_EQ(run({"audit", "list", "--operation", "(purged)"}, inst_.config).exitCode, 0);
}

TEST_F(LedgerAuditTest, TheInstitutionHoldsAndChecksTheRegionsCheckpoints) {
    ASSERT_FALSE(HasFailure());
    const auto r = run({"audit", "verify"}, inst_.config);
    EXPECT_EQ(r.exitCode, 0) << r;
    EXPECT_NE(r.out.find(", 2 from counterparts"), std::string::npos) << "one per receipt\n" << r;
    tamper("UPDATE peer_checkpoints SET signature = randomblob(64) WHERE seq = 2;");
    expectVerifyNames("counterpart checkpoint 2 (region-occitanie");
}

TEST_F(LedgerAuditTest, KeyRotationsAreEntriesAndOlderSignaturesStillVerify) {
    ASSERT_FALSE(HasFailure());
    ASSERT_EQ(run({"keys", "rotate"}, inst_.config).exitCode, 0);
    ASSERT_EQ(run({"keys", "rotate", "--pseudonym"}, inst_.config).exitCode, 0);
    const auto listed = run({"audit", "list"}, inst_.config);
    EXPECT_NE(listed.out.find("keys-rotated"), std::string::npos) << listed;
    EXPECT_NE(listed.out.find("pseudonym-key-rotated"), std::string::npos) << listed;
    // Manifests and checkpoints signed before the rotation verify with the retired key.
    const auto r = run({"audit", "verify"}, inst_.config);
    EXPECT_EQ(r.exitCode, 0) << r;
    EXPECT_NE(r.out.find("stored batches checked: 2"), std::string::npos) << r;
    const auto independent = verifyIndependently(exportLedger(inst_.config, "rotated"));
    EXPECT_EQ(independent.exitCode, 0) << "the export names the retired key too\n" << independent;
}

TEST_F(LedgerAuditTest, AlteringAnyColumnOfARowIsNamed) {
    ASSERT_FALSE(HasFailure());
    tamper("UPDATE ledger_entries SET entry = CAST(replace(CAST(entry AS TEXT), '\"outcome\":\"', "
           "'\"outcome\":\"X') AS BLOB) WHERE idx = 3;");
    expectVerifyNames("entry 3: stored leaf hash does not match its bytes");
    tamper("UPDATE ledger_entries SET entry = CAST(replace(CAST(entry AS TEXT), '\"outcome\":\"X', "
           "'\"outcome\":\"') AS BLOB) WHERE idx = 3;");
    ASSERT_EQ(run({"audit", "verify"}, inst_.config).exitCode, 0) << "the change was undone";

    tamper("UPDATE ledger_entries SET leaf_hash = randomblob(32) WHERE idx = 4;");
    expectVerifyNames("entry 4: stored leaf hash");
}

TEST_F(LedgerAuditTest, AlteringAStoredRootIsNamed) {
    ASSERT_FALSE(HasFailure());
    tamper("UPDATE ledger_entries SET root_hash = randomblob(32) WHERE idx = 2;");
    expectVerifyNames("entry 2: stored tree root does not match");
}

TEST_F(LedgerAuditTest, DeletingARowIsNamed) {
    ASSERT_FALSE(HasFailure());
    tamper("DELETE FROM ledger_entries WHERE idx = 2;");
    expectVerifyNames("entry 2: missing");
}

TEST_F(LedgerAuditTest, ReorderingRowsIsNamed) {
    ASSERT_FALSE(HasFailure());
    tamper("UPDATE ledger_entries SET idx = -1 WHERE idx = 2; UPDATE ledger_entries SET idx = 2 WHERE idx = 3; "
           "UPDATE ledger_entries SET idx = 3 WHERE idx = -1;");
    expectVerifyNames("entry 2: its content says it is another entry");
}

TEST_F(LedgerAuditTest, TruncatingTheTableIsNamed) {
    ASSERT_FALSE(HasFailure());
    const std::uint64_t entries = entryCount();
    ASSERT_GT(entries, 3u);
    tamper("DELETE FROM ledger_entries WHERE idx > " + std::to_string(entries - 2) + ";");
    expectVerifyNames("entry " + std::to_string(entries - 1) + ": missing");
    expectVerifyNames("(truncated)");
    tamper("DELETE FROM ledger_entries;");
    expectVerifyNames("entry 1: missing");
}

TEST_F(LedgerAuditTest, AForgedCheckpointIsNamed) {
    ASSERT_FALSE(HasFailure());
    // Another root under the original signature: one hex digit of the signed root changed.
    tamper("UPDATE ledger_checkpoints SET signed = CAST(replace(CAST(signed AS TEXT), 'root_hash: ', "
           "'root_hash: ' || CASE substr(CAST(signed AS TEXT), instr(CAST(signed AS TEXT), 'root_hash: ') + 11, 1) "
           "WHEN '0' THEN '1' ELSE '0' END) AS BLOB) WHERE seq = 1;"
           "UPDATE ledger_checkpoints SET signed = CAST(substr(CAST(signed AS TEXT), 1, "
           "instr(CAST(signed AS TEXT), 'root_hash: ') + 11) || substr(CAST(signed AS TEXT), "
           "instr(CAST(signed AS TEXT), 'root_hash: ') + 13) AS BLOB) WHERE seq = 1;");
    expectVerifyNames("checkpoint 1 (tree_size");
    expectVerifyNames("its signature does not verify");
}

}  // namespace
}  // namespace passerelle::integration

namespace passerelle::integration {
namespace {

// Retention, run in-process at a chosen "now" on the gateways' real state.
class RetentionTest : public LedgerAuditTest {
protected:
    static std::chrono::system_clock::time_point inDays(int days) {
        return std::chrono::system_clock::now() + std::chrono::hours(24) * days;
    }
};

TEST_F(RetentionTest, PayloadsGoAfterTheirRetentionWithALedgerEntryAndEverythingStillVerifies) {
    ASSERT_FALSE(HasFailure());
    for (const fs::path& config : {inst_.config, regionConfig()}) {
        auto gateway = exchange::Gateway::open(config);
        const bool institution = gateway->config().role == config::Role::Institution;
        const fs::path stored = institution ? gateway->outboxDir() : gateway->inboxDir();
        EXPECT_TRUE(exchange::purgeExpired(*gateway, "test", inDays(1), false).batches.empty())
            << "nothing is due a day later";

        const auto dryRun = exchange::purgeExpired(*gateway, "test", inDays(20 * 365), true);
        ASSERT_EQ(dryRun.batches.size(), 2u);
        EXPECT_TRUE(fs::exists(stored / batches_.front())) << "a dry run deletes nothing";

        const auto report = exchange::purgeExpired(*gateway, "test", inDays(20 * 365), false);
        ASSERT_EQ(report.batches.size(), 2u);
        for (const auto& id : batches_) {
            EXPECT_FALSE(fs::exists(stored / id)) << id;
            EXPECT_FALSE(fs::exists(gateway->carriedDir() / (id + ".pseudonyms"))) << id;
        }
        ledger::EntryFilter purged;
        purged.operation = "payload-purged";
        EXPECT_EQ(gateway->ledger().query(purged).size(), 2u);
        const auto audit = exchange::auditGateway(*gateway);
        EXPECT_TRUE(audit.intact()) << (audit.findings.empty() ? "" : audit.findings.front().problem);
        EXPECT_EQ(audit.receiptsChecked, 2u) << "receipts outlive the payloads";
    }
}

TEST_F(RetentionTest, APayloadDeletedOutsideRetentionIsAFinding) {
    ASSERT_FALSE(HasFailure());
    fs::remove_all(inst_.stateDir() / "outbox" / batches_.front());
    expectVerifyNames("no payload-purged ledger entry accounts for it");
}

TEST_F(RetentionTest, LedgerRetentionBlanksOldEntryBytesButKeepsTheTreeAndItsProofs) {
    ASSERT_FALSE(HasFailure());
    writeFile(inst_.config, readFile(inst_.config) + "\n[ledger]\nretention_days = 3650\n");
    std::uint64_t blanked = 0;
    {
        auto gateway = exchange::Gateway::open(inst_.config);
        const auto root = gateway->ledger().rootHash();
        blanked = exchange::purgeExpired(*gateway, "test", inDays(3651), false).ledgerEntriesBlanked;
        EXPECT_GT(blanked, 0u);
        EXPECT_EQ(gateway->ledger().entries(1, 1).front().operation, "(purged)");
        const auto audit = exchange::auditGateway(*gateway);
        EXPECT_TRUE(audit.intact()) << (audit.findings.empty() ? "" : audit.findings.front().problem);
        EXPECT_NE(gateway->ledger().rootHash(), root) << "the purge itself is an entry";
    }
    const auto r = verifyIndependently(exportLedger(inst_.config, "after-purge"));
    EXPECT_EQ(r.exitCode, 0) << r;
    const auto show = run({"audit", "show", "1"}, inst_.config);
    EXPECT_EQ(show.exitCode, 0) << show;
    EXPECT_NE(show.out.find("proof verifies"), std::string::npos) << show;
}

TEST_F(RetentionTest, ALedgerKeptShorterThanAPurposesPayloadsIsAConfigurationError) {
    ASSERT_FALSE(HasFailure());
    writeFile(inst_.config, readFile(inst_.config) + "\n[ledger]\nretention_days = 1\n");
    const auto r = run({"check-config"}, inst_.config);
    EXPECT_EQ(r.exitCode, 3) << r;
    EXPECT_NE((r.out + r.err).find("ledger.retention_days"), std::string::npos) << r;
}

}  // namespace
}  // namespace passerelle::integration
