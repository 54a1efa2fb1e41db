// The ledger on PostgreSQL (docs/ledger.md, docs/operations.md): the same behaviour
// as on SQLite, one Merkle tree under appends from several instances at once, and
// the append-only rule held by triggers and by the gateway role's grants.

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../../unit/ledger/test_support.h"
#include "../support/postgres_server.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "database/database.h"
#include "database/migrations.h"
#include "ledger/leaf_hash.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"

namespace passerelle::ledger {
namespace {

using integration::PostgresForTest;
using testing::FixedClock;
using testing::purgeAsRetention;
using testing::SteppedClock;
using testing::TestSigner;
using testing::transfer;




// The server's message when `sql` is refused, "" when it succeeds.
std::string refusal(const std::string& conninfo, const std::string& sql) {
    try {
        PostgresForTest::execute(conninfo, sql);
        return "";
    } catch (const std::runtime_error& e) {
        return e.what();
    }
}

// The stored bytes of every entry, through libpq rather than the code under test.
std::vector<std::string> storedEntryBytes(const std::string& conninfo) {
    std::vector<std::string> out;
    for (const auto& row :
         PostgresForTest::query(conninfo, "SELECT encode(entry, 'hex') FROM ledger_entries ORDER BY idx")) {
        const auto bytes = fromHex(row.at(0).value_or(""));
        out.emplace_back(bytes.begin(), bytes.end());
    }
    return out;
}

class LedgerPostgresTest : public integration::PostgresTest {
protected:
    void SetUp() override {
        PostgresTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        ASSERT_GE(sodium_init(), 0);
        conninfo = postgres().freshDatabase();
    }

    static std::shared_ptr<db::Database> database(const std::string& conninfo) {
        return std::make_shared<db::Database>(db::Location{db::Engine::PostgreSQL, conninfo});
    }
    std::shared_ptr<db::Database> database() const { return database(conninfo); }

    void fill(Ledger& ledger, std::uint64_t n) {
        const std::uint64_t start = ledger.size();
        for (std::uint64_t i = 1; i <= n; ++i) ASSERT_EQ(ledger.append(transfer(i)), start + i);
    }
    void sign(Ledger& ledger, std::uint64_t every = 0) {
        ledger.setCheckpointSigner("univ-montpellier", own.id(), own.signer(), every);
    }
    KeyResolver keys() const {
        return [this](const std::string& party, const std::string& keyId, const std::string& /*signedAt*/)
                   -> std::optional<SignKey> {
            if (party == "univ-montpellier" && keyId == own.id()) return own.pk;
            if (party == "region-occitanie" && keyId == peer.id()) return peer.pk;
            return std::nullopt;
        };
    }
    Checkpoint peerCheckpoint(std::uint64_t treeSize) const {
        Checkpoint c;
        c.origin = "region-occitanie";
        c.treeSize = treeSize;
        c.rootHash = leafHash("their tree");
        c.time = "2026-11-29T08:00:00Z";
        c.keyId = peer.id();
        c.signature = peer.signer()(asBytes(c.signedBytes()));
        return c;
    }

    std::string conninfo;
    FixedClock clock;
    TestSigner own, peer;
};

TEST_F(LedgerPostgresTest, AppendedEntriesReadBackByteForByteAndVerify) {
    Ledger ledger(database(), clock);
    EXPECT_EQ(ledger.name(), "postgresql:" + conninfo);
    EXPECT_EQ(ledger.size(), 0u);
    EXPECT_EQ(ledger.rootHash(), merkle::emptyRoot());
    fill(ledger, 20);

    const auto all = ledger.entries();
    ASSERT_EQ(all.size(), 20u);
    std::vector<Hash> leaves;
    for (std::uint64_t i = 1; i <= 20; ++i) {
        const LedgerEntry& e = all[i - 1];
        EXPECT_EQ(e.index, i);
        EXPECT_EQ(e.recordCount, i);
        EXPECT_EQ(e.time, "2026-11-29T08:36:38Z");
        const auto bytes = ledger.entryBytes(i);
        ASSERT_TRUE(bytes);
        EXPECT_EQ(*bytes, canonicalBytes(e));
        EXPECT_EQ(ledger.leafHashAt(i), leafHash(*bytes));
        leaves.push_back(leafHash(*bytes));
    }
    EXPECT_EQ(storedEntryBytes(conninfo).at(6), *ledger.entryBytes(7));
    EXPECT_EQ(ledger.rootHash(), merkle::rootOf(leaves));
    EXPECT_EQ(ledger.entries(4, 3).front().index, 4u);
    EXPECT_FALSE(ledger.entry(21));
    EntryFilter byPurpose;
    byPurpose.purpose = "internship-agreement";
    EXPECT_EQ(ledger.query(byPurpose).size(), 20u);

    const auto v = ledger.verify(keys());
    EXPECT_TRUE(v.intact) << v.problem;
    EXPECT_EQ(v.entries, 20u);
    EXPECT_EQ(v.rootHash, toHex(ledger.rootHash()));

    // Another instance opening the same database continues the same tree; the
    // schema was migrated once.
    Ledger reopened(database(), clock);
    EXPECT_EQ(reopened.append(transfer(21)), 21u);
    EXPECT_TRUE(reopened.verify(keys()).intact);
    const auto versions =
        PostgresForTest::query(conninfo, "SELECT version FROM schema_migrations WHERE part = 'ledger'");
    ASSERT_EQ(versions.size(), 1u);
    EXPECT_EQ(versions[0][0], "1");
}

TEST_F(LedgerPostgresTest, ThirtyTwoRandomBytesWithZeroBytesRoundTripAsBytea) {
    auto db = database();
    std::array<unsigned char, 32> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    bytes[0] = bytes[13] = bytes[31] = 0;
    const db::Rows read = db->withConnection([&](db::Connection& c) {
        c.execute("CREATE TABLE blob_check (b BYTEA NOT NULL)");
        c.execute("INSERT INTO blob_check (b) VALUES (?)", {db::Value::bytes(bytes)});
        return c.query("SELECT b FROM blob_check", {db::ColumnType::Bytes});
    });
    ASSERT_EQ(read.size(), 1u);
    const auto back = read.bytes(0, 0);
    EXPECT_EQ(back.size(), 32u);
    EXPECT_TRUE(std::equal(back.begin(), back.end(), bytes.begin(), bytes.end()));
    EXPECT_EQ(PostgresForTest::query(conninfo, "SELECT length(b) FROM blob_check")[0][0], "32");
}

TEST_F(LedgerPostgresTest, CheckpointsAndCounterpartCheckpointsAreStoredOnceAndVerify) {
    Ledger ledger(database(), clock);
    sign(ledger, 7);
    fill(ledger, 20);
    const Checkpoint last = ledger.checkpoint();
    EXPECT_EQ(last.treeSize, 20u);
    EXPECT_EQ(last.rootHash, ledger.rootHash());
    EXPECT_TRUE(last.signatureVerifies(own.pk));
    EXPECT_EQ(ledger.checkpoint(), last) << "an unchanged tree gets no second checkpoint";
    const auto all = ledger.checkpoints();
    ASSERT_EQ(all.size(), 3u);  // at 7, 14 and 20
    EXPECT_EQ(all[0].treeSize, 7u);
    EXPECT_EQ(all[1].treeSize, 14u);
    EXPECT_EQ(ledger.latestCheckpoint(), last);
    EXPECT_EQ(ledger.uncheckpointed(), 0u);

    const Checkpoint received = peerCheckpoint(5);
    EXPECT_TRUE(ledger.storePeerCheckpoint(received));
    EXPECT_FALSE(ledger.storePeerCheckpoint(received));
    ASSERT_EQ(ledger.peerCheckpoints().size(), 1u);
    EXPECT_EQ(ledger.peerCheckpoints().front(), received);

    auto v = ledger.verify(keys());
    EXPECT_TRUE(v.intact) << v.problem;
    EXPECT_EQ(v.checkpoints, 3u);
    EXPECT_EQ(v.peerCheckpoints, 1u);

    Checkpoint forged = received;
    forged.treeSize = 0;
    EXPECT_TRUE(ledger.storePeerCheckpoint(forged));
    v = ledger.verify(keys());
    EXPECT_FALSE(v.intact);
    EXPECT_NE(v.problem.find(
                  "counterpart checkpoint 2 (region-occitanie, tree_size 0): its signature does not verify"),
              std::string::npos)
        << v.problem;
}

TEST_F(LedgerPostgresTest, InclusionAndConsistencyProofsVerifyAgainstSignedCheckpoints) {
    Ledger ledger(database(), clock);
    sign(ledger);
    fill(ledger, 6);
    const Checkpoint first = ledger.checkpoint();
    fill(ledger, 7);
    const Checkpoint second = ledger.checkpoint();
    for (std::uint64_t i = 1; i <= 13; ++i) {
        const InclusionProof p = ledger.inclusionProof(i, second.treeSize);
        EXPECT_EQ(p.leafHash, leafHash(*ledger.entryBytes(i)));
        EXPECT_EQ(p.rootHash, second.rootHash);
        EXPECT_TRUE(merkle::verifyInclusion(p.leafHash, i - 1, p.treeSize, p.path, second.rootHash)) << i;
    }
    const auto consistency = ledger.consistencyProof(first.treeSize, second.treeSize);
    EXPECT_TRUE(merkle::verifyConsistency(first.treeSize, second.treeSize, first.rootHash, second.rootHash,
                                          consistency));
    EXPECT_THROW(ledger.inclusionProof(1, 14), LedgerError);
}

TEST_F(LedgerPostgresTest, RetentionBlanksEntryBytesButProofsAndVerificationStillHold) {
    Ledger ledger(database(), clock);
    sign(ledger);
    fill(ledger, 5);
    LedgerEntry kept = transfer(1);
    kept.operation = "payload-purged";  // what accounts for a deleted payload is never blanked
    ledger.append(kept);
    const Checkpoint before = ledger.checkpoint();

    EXPECT_EQ(purgeAsRetention(ledger, "2026-11-30T00:00:00Z").count, 5u);
    EXPECT_EQ(purgeAsRetention(ledger, "2026-11-30T00:00:00Z").count, 0u) << "already blanked";
    EXPECT_EQ(ledger.entry(2)->operation, "(purged)");
    EXPECT_EQ(ledger.entryBytes(2), "");
    EXPECT_EQ(ledger.entry(6)->operation, "payload-purged");
    EXPECT_EQ(ledger.entry(7)->operation, ledger::toText(ledger::Operation::LedgerPurged));
    EXPECT_EQ(
        PostgresForTest::query(conninfo, "SELECT COUNT(*) FROM ledger_entries WHERE entry IS NULL")[0][0],
        "5");

    const auto v = ledger.verify(keys());
    EXPECT_TRUE(v.intact) << v.problem;
    EXPECT_EQ(v.entries, 7u);
    const InclusionProof p = ledger.inclusionProof(2, 6);
    EXPECT_TRUE(merkle::verifyInclusion(p.leafHash, 1, 6, p.path, before.rootHash));
}

TEST_F(LedgerPostgresTest, TriggersRefuseEvenTheOwnerRewritingDeletingOrTruncating) {
    Ledger ledger(database(), clock);
    sign(ledger);
    fill(ledger, 3);
    ledger.checkpoint();
    EXPECT_TRUE(ledger.storePeerCheckpoint(peerCheckpoint(1)));
    for (const char* sql : {"UPDATE ledger_entries SET leaf_hash = root_hash WHERE idx = 2",
                            "UPDATE ledger_entries SET entry = 'x' WHERE idx = 2",
                            "UPDATE ledger_entries SET idx = 9 WHERE idx = 3",
                            "DELETE FROM ledger_entries WHERE idx = 3", "TRUNCATE ledger_entries"}) {
        EXPECT_NE(refusal(conninfo, sql).find("ledger is append-only"), std::string::npos) << sql;
    }
    for (const char* sql :
         {"UPDATE ledger_checkpoints SET signed = signature", "DELETE FROM ledger_checkpoints",
          "TRUNCATE ledger_checkpoints", "UPDATE peer_checkpoints SET signed = signature",
          "DELETE FROM peer_checkpoints", "TRUNCATE peer_checkpoints"}) {
        EXPECT_NE(refusal(conninfo, sql).find("checkpoints are append-only"), std::string::npos) << sql;
    }
    // Blanking is what the trigger lets through (retention does it), but not unaccounted for.
    EXPECT_EQ(refusal(conninfo, "UPDATE ledger_entries SET entry = NULL WHERE idx = 1"), "")
        << "blanking is allowed";
    const auto v = ledger.verify(keys());
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.firstBadIndex, 1u) << v.problem;
    EXPECT_EQ(v.entries, 3u);
}

// The case: the owner drops the triggers and blanks one recent entry (retention
// 365 days, the entry minutes old). Its hashes stay, so only the purge records tell.
TEST_F(LedgerPostgresTest, AnEntryTheOwnerBlankedByHandIsNamedByVerify) {
    SteppedClock days;
    Ledger ledger(database(), days);
    sign(ledger);
    fill(ledger, 4);
    days.advanceDays(400);
    ASSERT_EQ(purgeAsRetention(ledger, formatUtc(days.at - std::chrono::hours(24) * 365)).count, 4u);
    fill(ledger, 6);  // entries 6-11, minutes old
    ledger.checkpoint();
    ASSERT_TRUE(ledger.verify(keys()).intact) << "a legitimate purge verifies";

    PostgresForTest::execute(conninfo,
                             "ALTER TABLE ledger_entries DISABLE TRIGGER ALL;"
                             " UPDATE ledger_entries SET entry = NULL WHERE idx = 9;"
                             " ALTER TABLE ledger_entries ENABLE TRIGGER ALL");
    const auto v = ledger.verify(keys());
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.firstBadIndex, 9u) << v.problem;
    EXPECT_NE(v.problem.find("entry 9: its bytes are gone"), std::string::npos) << v.problem;
    EXPECT_EQ(v.entries, 11u);
}

TEST_F(LedgerPostgresTest, VerifyNamesTheEntryWhoseLeafHashTheOwnerRewroteWithTriggersDisabled) {
    Ledger ledger(database(), clock);
    fill(ledger, 12);
    PostgresForTest::execute(conninfo,
                             "ALTER TABLE ledger_entries DISABLE TRIGGER ALL;"
                             " UPDATE ledger_entries SET leaf_hash = sha256('not the entry') WHERE idx = 5;"
                             " ALTER TABLE ledger_entries ENABLE TRIGGER ALL");
    const auto v = ledger.verify(keys());
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.firstBadIndex, 5u);
    EXPECT_EQ(v.problem, "entry 5: stored leaf hash does not match its bytes (altered)");
    EXPECT_EQ(v.entries, 12u);
}

TEST_F(LedgerPostgresTest, ConcurrentAppendsFromTwoInstancesBuildOneTreeThatRecomputesFromTheStoredBytes) {
    constexpr int kThreadsPerInstance = 4, kPerThread = 200;
    // Two instances (two pools), opened at once on an empty database: the schema is
    // migrated once, under its lock.
    std::unique_ptr<Ledger> a, b;
    {
        std::thread openA([&] { a = std::make_unique<Ledger>(database(), clock); });
        std::thread openB([&] { b = std::make_unique<Ledger>(database(), clock); });
        openA.join();
        openB.join();
    }
    ASSERT_TRUE(a && b);
    std::atomic<int> failures{0};
    std::mutex firstErrorMutex;
    std::string firstError;
    std::vector<std::thread> threads;
    for (Ledger* instance : {a.get(), b.get()}) {
        for (int t = 0; t < kThreadsPerInstance; ++t) {
            const std::string batch = "batch-" + std::to_string(threads.size());
            threads.emplace_back([&, instance, batch] {
                try {
                    for (int i = 0; i < kPerThread; ++i) instance->append(transfer(1, batch));
                } catch (const std::exception& e) {
                    ++failures;
                    std::lock_guard lock(firstErrorMutex);
                    if (firstError.empty()) firstError = e.what();
                }
            });
        }
    }
    for (auto& thread : threads) thread.join();
    ASSERT_EQ(failures.load(), 0) << firstError;

    constexpr std::uint64_t kTotal = 2 * kThreadsPerInstance * kPerThread;
    EXPECT_EQ(a->size(), kTotal);
    EXPECT_EQ(b->size(), kTotal);
    const auto v = b->verify(keys());
    EXPECT_TRUE(v.intact) << v.problem;
    EXPECT_EQ(v.entries, kTotal);

    const auto stored = storedEntryBytes(conninfo);
    ASSERT_EQ(stored.size(), kTotal);
    std::vector<Hash> leaves;
    std::map<std::string, int> perBatch;
    for (std::size_t i = 0; i < stored.size(); ++i) {
        const LedgerEntry e = parseEntry(stored[i]);
        ASSERT_EQ(e.index, i + 1);
        ++perBatch[e.batchId];
        leaves.push_back(leafHash(stored[i]));
    }
    EXPECT_EQ(perBatch.size(), 2u * kThreadsPerInstance);
    for (const auto& [batch, count] : perBatch) EXPECT_EQ(count, kPerThread) << batch;
    const Hash recomputed = merkle::rootOf(leaves);
    EXPECT_EQ(a->rootHash(), recomputed);
    EXPECT_EQ(v.rootHash, toHex(recomputed));
    EXPECT_EQ(PostgresForTest::query(conninfo, "SELECT size FROM ledger_tree WHERE id = 1")[0][0],
              std::to_string(kTotal));
    EXPECT_EQ(PostgresForTest::query(conninfo,
                                     "SELECT COUNT(*) FROM schema_migrations WHERE part = 'ledger'")[0][0],
              "1");
}

// A login role of the gateway's group, made for one test and dropped after it.
class GatewayLogin {
public:
    GatewayLogin(const std::string& server, const std::string& name) : server_(server), name_(name) {
        PostgresForTest::execute(server_, "CREATE ROLE " + name_ + " LOGIN IN ROLE " + db::kGatewayRole);
    }
    ~GatewayLogin() {
        const std::string why = refusal(server_, "DROP ROLE IF EXISTS " + name_);
        if (!why.empty()) std::fprintf(stderr, "cannot drop test role %s: %s\n", name_.c_str(), why.c_str());
    }
    GatewayLogin(const GatewayLogin&) = delete;
    GatewayLogin& operator=(const GatewayLogin&) = delete;
    const std::string& name() const { return name_; }

private:
    std::string server_, name_;
};

TEST_F(LedgerPostgresTest, TheGatewayRoleAppendsChecksAndBlanksButMayNotRewriteDeleteOrTruncate) {
    // The group role is cluster-wide: made once, possibly by a test running beside this one.
    const std::string made =
        refusal(postgres().server(), "CREATE ROLE " + std::string(db::kGatewayRole) + " NOLOGIN");
    ASSERT_TRUE(made.empty() || made.find("already exists") != std::string::npos) << made;
    {
        Ledger asOwner(database(), clock);  // migrates and grants
    }
    std::array<unsigned char, 6> suffix{};
    randombytes_buf(suffix.data(), suffix.size());
    const GatewayLogin login(postgres().server(),
                             "passerelle_l_" + toHex(std::span(suffix.data(), suffix.size())));
    const std::string asGateway = PostgresForTest::withKey(conninfo, "user", login.name());

    Ledger ledger(database(asGateway), clock);
    sign(ledger);
    fill(ledger, 5);
    EXPECT_EQ(ledger.checkpoint().treeSize, 5u);
    EXPECT_TRUE(ledger.storePeerCheckpoint(peerCheckpoint(2)));
    EXPECT_EQ(purgeAsRetention(ledger, "2026-11-30T00:00:00Z").count, 5u);
    fill(ledger, 1);
    auto v = ledger.verify(keys());
    EXPECT_TRUE(v.intact) << v.problem;
    EXPECT_EQ(v.entries, 7u);

    const std::vector<std::pair<std::string, std::string>> refused = {
        {"UPDATE ledger_entries SET leaf_hash = sha256('x') WHERE idx = 1", "permission denied"},
        {"UPDATE ledger_entries SET entry = 'x' WHERE idx = 7", "ledger is append-only"},
        {"DELETE FROM ledger_entries", "permission denied"},
        {"TRUNCATE ledger_entries", "permission denied"},
        {"DELETE FROM ledger_checkpoints", "permission denied"},
        {"UPDATE ledger_checkpoints SET signed = signature", "permission denied"},
        {"DELETE FROM peer_checkpoints", "permission denied"},
        {"ALTER TABLE ledger_entries DISABLE TRIGGER ALL", "must be owner"},
        {"DROP TABLE ledger_entries", "must be owner"},
    };
    for (const auto& [sql, expected] : refused) {
        const std::string why = refusal(asGateway, sql);
        EXPECT_NE(why.find(expected), std::string::npos) << sql << " -> " << (why.empty() ? "accepted" : why);
    }
    v = ledger.verify(keys());
    EXPECT_TRUE(v.intact) << v.problem;
    EXPECT_EQ(v.entries, 7u);
}

TEST_F(LedgerPostgresTest, ErrorsNameTheDatabaseButNeverItsPassword) {
    Ledger ledger(database(conninfo + " password=not-a-real-one"), clock);
    EXPECT_EQ(ledger.name().find("not-a-real-one"), std::string::npos) << ledger.name();
    LedgerEntry e = transfer(1);
    e.reason = "bad\xC3";
    try {
        ledger.append(e);
        FAIL() << "invalid UTF-8 was appended";
    } catch (const LedgerError& ex) {
        EXPECT_EQ(std::string(ex.what()), "cannot append to ledger " + ledger.name() +
                                              ": ledger entry field 'reason' is not valid UTF-8; fix the "
                                              "caller that built this entry");
    }
    EXPECT_THROW(ledger.checkpoint(), LedgerError) << "no signer, no checkpoint";
}

}  // namespace
}  // namespace passerelle::ledger
