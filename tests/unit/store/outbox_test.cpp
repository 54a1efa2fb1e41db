// The outbox's delivery state, on SQLite and on PostgreSQL: claims that only one
// live process holds, failures that wait their back-off, dead letters that are kept
// and can be requeued, incremental cursors written with their batch, and job runs.

#include "store/state_store.h"
#include "store_engines.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace passerelle::store {
namespace {

namespace fs = std::filesystem;

class OutboxTest : public ::testing::TestWithParam<db::Engine> {
protected:
    void SetUp() override {
        database_ = std::make_unique<testing::TestDatabase>(GetParam());
        if (!database_->available()) return testing::TestDatabase::skipWithoutServer();
        dir_ = database_->dir();
        store_ = std::make_unique<StateStore>(database_->open());
    }
    void TearDown() override {
        store_.reset();
        database_.reset();
    }

    OutboxBatch batch(const std::string& id, const std::string& createdAt, const std::string& recipient = "region") {
        OutboxBatch b;
        b.batchId = id;
        b.recipient = recipient;
        b.purpose = "region-survey-contact";
        b.job = "survey";
        b.recordCount = 3;
        b.payloadDigest = "digest-" + id;
        b.createdAt = createdAt;
        return b;
    }

    std::unique_ptr<testing::TestDatabase> database_;
    fs::path dir_;
    std::unique_ptr<StateStore> store_;
};

// A pid that existed and is gone: a child that has exited and been reaped.
pid_t deadPid() {
    const pid_t child = fork();
    if (child == 0) _exit(0);
    int status = 0;
    waitpid(child, &status, 0);
    return child;
}

std::string hostOf(const std::string& owner) { return owner.substr(0, owner.rfind(':')); }

TEST_P(OutboxTest, OnlyOneOwnerHoldsAClaimUntilItsLeaseEnds) {
    store_->outbox().addToOutbox(batch("b1", "2026-11-29T10:00:00Z"));
    const Claim first{processOwner(), 1000, 60};
    const Claim other{hostOf(processOwner()) + ":1", 1010, 60};  // pid 1 is alive on every host
    ASSERT_TRUE(store_->outbox().claim("b1", first));
    EXPECT_FALSE(store_->outbox().claim("b1", other)) << "a live owner's claim within its lease is not taken";
    EXPECT_TRUE(store_->outbox().claimDue(other, 10).empty());
    const Claim afterLease{other.owner, 1061, 60};
    const auto taken = store_->outbox().claim("b1", afterLease);
    ASSERT_TRUE(taken) << "an expired lease frees the batch";
    EXPECT_EQ(taken->claimOwner, other.owner);
    EXPECT_EQ(taken->claimedUntil, 1121);
}

TEST_P(OutboxTest, AClaimOfAProcessThatDiedOnThisHostIsFreeAtOnce) {
    store_->outbox().addToOutbox(batch("b1", "2026-11-29T10:00:00Z"));
    const std::string dead = hostOf(processOwner()) + ":" + std::to_string(deadPid());
    EXPECT_TRUE(ownerIsGone(dead));
    EXPECT_FALSE(ownerIsGone(processOwner()));
    EXPECT_FALSE(ownerIsGone("another-host.example:1")) << "a process of another host cannot be checked";
    ASSERT_TRUE(store_->outbox().claim("b1", {dead, 1000, 300}));
    EXPECT_TRUE(store_->outbox().claim("b1", {processOwner(), 1001, 300})) << "the dead owner's lease does not hold";
}

TEST_P(OutboxTest, AFailedAttemptWaitsItsBackoffAndReleasesTheClaim) {
    store_->outbox().addToOutbox(batch("b1", "2026-11-29T10:00:00Z"));
    store_->outbox().addToOutbox(batch("b2", "2026-11-29T10:00:01Z"));
    const Claim me{processOwner(), 1000, 60};
    auto claimed = store_->outbox().claimDue(me, 10);
    ASSERT_EQ(claimed.size(), 2u);
    EXPECT_EQ(claimed[0].batchId, "b1") << "oldest first";
    store_->outbox().recordAttemptFailure("b1", "connection refused", 1030, "2026-11-29T10:01:00Z");
    const auto row = store_->outbox().outboxBatch("b1");
    EXPECT_EQ(row->attempts, 1u);
    EXPECT_EQ(row->lastError, "connection refused");
    EXPECT_EQ(row->nextAttemptAt, 1030);
    EXPECT_TRUE(row->claimOwner.empty());
    EXPECT_EQ(store_->outbox().nextDueAt().value_or(-1), 0) << "b2 was never tried: due at once";

    const Claim someoneElse{hostOf(processOwner()) + ":1", 1029, 60};
    EXPECT_TRUE(store_->outbox().claimDue(someoneElse, 10).empty()) << "b1 waits its back-off; b2 is still claimed";
    const Claim later{someoneElse.owner, 1030, 60};
    const auto due = store_->outbox().claimDue(later, 10);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].batchId, "b1");
}

TEST_P(OutboxTest, DeadLettersAreKeptAndCanBeRequeued) {
    store_->outbox().addToOutbox(batch("b1", "2026-11-20T10:00:00Z"));
    store_->outbox().recordAttemptFailure("b1", "HTTP 503", 0, "2026-11-29T10:00:00Z");
    store_->outbox().deadLetter("b1", "2026-11-29T10:00:01Z");
    auto row = store_->outbox().outboxBatch("b1");
    ASSERT_TRUE(row);
    EXPECT_EQ(row->status, OutboxStatus::DeadLetter);
    EXPECT_TRUE(store_->outbox().claimDue({processOwner(), 1LL << 40, 60}, 10).empty()) << "a dead letter is not sent";
    const auto summary = store_->outbox().outboxSummary();
    ASSERT_EQ(summary.size(), 1u);
    EXPECT_EQ(summary[0].deadLettered, 1u);
    EXPECT_EQ(summary[0].pending, 0u);
    EXPECT_EQ(summary[0].lastError, "HTTP 503");

    EXPECT_FALSE(store_->outbox().requeue("unknown", "2026-11-29T11:00:00Z"));
    ASSERT_TRUE(store_->outbox().requeue("b1", "2026-11-29T11:00:00Z"));
    row = store_->outbox().outboxBatch("b1");
    EXPECT_EQ(row->status, OutboxStatus::Pending);
    EXPECT_EQ(row->queuedSince(), "2026-11-29T11:00:00Z") << "its age counts from the requeue";
    EXPECT_FALSE(store_->outbox().requeue("b1", "2026-11-29T11:00:00Z")) << "only a dead letter is requeued";
}

// What the daemon scans every minute and `status` reads: only the batches in
// question, never the whole history of receipted batches.
TEST_P(OutboxTest, DeadLetterCandidatesAreThePendingBatchesQueuedBeforeTheCutoff) {
    store_->outbox().addToOutbox(batch("old", "2026-11-20T10:00:00Z"));
    store_->outbox().addToOutbox(batch("young", "2026-11-29T09:00:00Z"));
    store_->outbox().addToOutbox(batch("requeued", "2026-11-19T10:00:00Z"));
    store_->outbox().addToOutbox(batch("receipted", "2026-11-18T10:00:00Z"));
    store_->outbox().addToOutbox(batch("dead", "2026-11-17T10:00:00Z"));
    store_->outbox().deadLetter("requeued", "2026-11-28T10:00:00Z");
    ASSERT_TRUE(store_->outbox().requeue("requeued", "2026-11-29T08:00:00Z"));
    ASSERT_TRUE(store_->outbox().claim("receipted", {processOwner(), 1000, 60}));
    store_->outbox().recordReceipt("receipted", "{}", "c2ln", "2026-11-18T10:00:05Z");
    store_->outbox().deadLetter("dead", "2026-11-28T10:00:00Z");

    auto ids = [](const std::vector<OutboxBatch>& batches) {
        std::vector<std::string> out;
        for (const auto& b : batches) out.push_back(b.batchId);
        return out;
    };
    EXPECT_EQ(ids(store_->outbox().pendingQueuedBefore("2026-11-29T00:00:00Z")), std::vector<std::string>{"old"})
        << "a requeued batch's age counts from its requeue";
    EXPECT_EQ(ids(store_->outbox().pendingQueuedBefore("2026-11-29T08:30:00Z")), (std::vector<std::string>{"requeued", "old"}));
    EXPECT_EQ(ids(store_->outbox().outboxWithStatus(OutboxStatus::DeadLetter)), std::vector<std::string>{"dead"});
    EXPECT_EQ(ids(store_->outbox().outboxWithStatus(OutboxStatus::Receipted)), std::vector<std::string>{"receipted"});
    EXPECT_EQ(ids(store_->outbox().outboxWithStatus(OutboxStatus::Pending)), (std::vector<std::string>{"requeued", "old", "young"}));
}

TEST_P(OutboxTest, AReceiptEndsTheBatchsLifeInTheQueue) {
    store_->outbox().addToOutbox(batch("b1", "2026-11-29T10:00:00Z", "region"));
    store_->outbox().addToOutbox(batch("b2", "2026-11-29T10:00:00Z", "other-region"));
    ASSERT_TRUE(store_->outbox().claim("b1", {processOwner(), 1000, 60}));
    store_->outbox().recordReceipt("b1", "{\"receipt\":1}", "c2ln", "2026-11-29T10:00:05Z");
    const auto row = store_->outbox().outboxBatch("b1");
    EXPECT_EQ(row->status, OutboxStatus::Receipted);
    EXPECT_TRUE(row->claimOwner.empty());
    EXPECT_FALSE(store_->outbox().claim("b1", {processOwner(), 1001, 60}));
    const auto summary = store_->outbox().outboxSummary();
    ASSERT_EQ(summary.size(), 2u);
    EXPECT_EQ(summary[1].recipient, "region");
    EXPECT_EQ(summary[1].receipted, 1u);
    EXPECT_EQ(summary[1].lastReceiptAt, "2026-11-29T10:00:05Z");
    EXPECT_EQ(summary[0].pending, 1u);
    EXPECT_EQ(summary[0].oldestPendingAt, "2026-11-29T10:00:00Z");
}

TEST_P(OutboxTest, ACursorIsWrittenWithItsBatchAndReadBackInUnsignedOrder) {
    const std::vector<CursorEntry> cursor = {
        {0xFFFFFFFFFFFFFFF0ull, 1}, {0x0000000000000001ull, 2}, {0x8000000000000000ull, 3}};
    store_->outbox().addToOutbox(batch("b1", "2026-11-29T10:00:00Z"), cursor);
    auto read = store_->jobs().cursor("survey");
    ASSERT_EQ(read.size(), 3u);
    EXPECT_EQ(read[0].key, 1u);
    EXPECT_EQ(read[1].key, 0x8000000000000000ull) << "a key with the top bit set survives the engine's signed integers";
    EXPECT_EQ(read[2].key, 0xFFFFFFFFFFFFFFF0ull);
    EXPECT_EQ(read[2].digest, 1u);
    EXPECT_TRUE(store_->jobs().cursor("another-job").empty());

    // A batch id already queued: the whole transaction fails, the cursor does not move.
    EXPECT_ANY_THROW(store_->outbox().addToOutbox(batch("b1", "2026-11-29T10:00:00Z"), {{1, 99}}));
    EXPECT_EQ(store_->jobs().cursor("survey")[0].digest, 2u);

    // The next batch replaces a changed record's digest.
    store_->outbox().addToOutbox(batch("b2", "2026-11-29T11:00:00Z"), {{1, 42}});
    read = store_->jobs().cursor("survey");
    ASSERT_EQ(read.size(), 3u);
    EXPECT_EQ(read[0].digest, 42u);
}

// A key given twice in one batch: the digest given last is the one kept, whatever the
// digests' order (enough duplicates that an unstable sort would shuffle some).
TEST_P(OutboxTest, AKeyGivenTwiceKeepsTheDigestGivenLast) {
    std::vector<CursorEntry> cursor;
    for (std::uint64_t k = 0; k < 64; ++k) {
        cursor.push_back({k % 8, 1000 - k});
    }
    store_->outbox().addToOutbox(batch("b1", "2026-11-29T10:00:00Z"), cursor);
    const auto read = store_->jobs().cursor("survey");
    ASSERT_EQ(read.size(), 8u);
    for (std::uint64_t k = 0; k < 8; ++k) EXPECT_EQ(read[k].digest, 1000 - (56 + k)) << "key " << k;
}

// Half of all 64-bit keys and digests are negative as signed integers: each must come
// back bit for bit (Poco's PostgreSQL connector alone rounds them through a double),
// and none lost or repeated across the chunks the cursor is read in.
TEST_P(OutboxTest, EveryCursorBitPatternComesBackExactly) {
    std::vector<CursorEntry> cursor;
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 17000; ++i) {  // over two of the reader's chunks of 8,192
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        cursor.push_back({x, ~x});
    }
    cursor.push_back({0xFFFFFFFFFFFFFFFFull, 0x8000000000000001ull});
    cursor.push_back({0x7FFFFFFFFFFFFFFFull, 0});
    store_->outbox().addToOutbox(batch("b1", "2026-11-29T10:00:00Z"), cursor);
    std::sort(cursor.begin(), cursor.end());
    const auto read = store_->jobs().cursor("survey");
    ASSERT_EQ(read.size(), cursor.size());
    for (std::size_t i = 0; i < read.size(); ++i) {
        ASSERT_EQ(read[i].key, cursor[i].key) << "entry " << i;
        ASSERT_EQ(read[i].digest, cursor[i].digest) << "entry " << i;
    }
}

TEST_P(OutboxTest, JobRunsAreKeptPerJob) {
    EXPECT_FALSE(store_->jobs().jobRun("survey"));
    store_->jobs().recordJobRun({"survey", 1764560400, "2026-12-01T05:00:01Z", "2026-12-01T05:00:02Z", "sealed batch x"});
    store_->jobs().recordJobRun({"survey", 1767238800, "2027-01-01T05:00:01Z", "2027-01-01T05:00:03Z", "nothing to send"});
    const auto run = store_->jobs().jobRun("survey");
    ASSERT_TRUE(run);
    EXPECT_EQ(run->lastScheduledFor, 1767238800);
    EXPECT_EQ(run->lastOutcome, "nothing to send");
    EXPECT_FALSE(store_->jobs().jobRun("other"));
}

// SQLite files written by earlier releases (PostgreSQL starts at schema version 1).
class EarlierSqliteFile : public OutboxTest {};

TEST_P(EarlierSqliteFile, AnOutboxOfTheEarlierVersionGainsTheNewColumns) {
    store_.reset();
    fs::remove(dir_ / "state.db");
    {
        // The outbox table as the previous release created it.
        db::Database legacy(db::Location::sqlite(dir_ / "state.db"));
        legacy.withConnection([](db::Connection& c) {
            c.execute("CREATE TABLE outbox (batch_id TEXT PRIMARY KEY, recipient TEXT NOT NULL, purpose TEXT NOT NULL,"
                      " job TEXT NOT NULL, record_count INTEGER NOT NULL, payload_digest TEXT NOT NULL,"
                      " created_at TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
                      " last_error TEXT NOT NULL DEFAULT '', receipt TEXT NOT NULL DEFAULT '',"
                      " receipt_signature TEXT NOT NULL DEFAULT '', receipted_at TEXT NOT NULL DEFAULT '')");
            c.execute("INSERT INTO outbox (batch_id, recipient, purpose, job, record_count, payload_digest, created_at,"
                      " status) VALUES ('old', 'region', 'p', 'j', 1, 'd', '2026-01-01T00:00:00Z', 'pending')");
        });
    }
    store_ = std::make_unique<StateStore>(database_->open());
    const auto row = store_->outbox().outboxBatch("old");
    ASSERT_TRUE(row);
    EXPECT_EQ(row->nextAttemptAt, 0);
    EXPECT_TRUE(store_->outbox().claim("old", {processOwner(), 1000, 60})) << "a batch of the earlier version is sent";
}

}  // namespace
}  // namespace passerelle::store

namespace passerelle::store {
namespace {

TEST_P(OutboxTest, ABatchThisProcessIsSendingIsNotClaimedTwice) {
    store_->outbox().addToOutbox(batch("b1", "2026-11-29T10:00:00Z"));
    const Claim me{processOwner(), 1000, 60};
    ASSERT_EQ(store_->outbox().claimDue(me, 10).size(), 1u);
    EXPECT_TRUE(store_->outbox().claimDue(me, 10).empty()) << "a second worker of the same process must not take it";
    EXPECT_FALSE(store_->outbox().claim("b1", me));
}

INSTANTIATE_TEST_SUITE_P(Engines, OutboxTest, ::testing::Values(db::Engine::SQLite, db::Engine::PostgreSQL),
                         testing::engineName);
INSTANTIATE_TEST_SUITE_P(Engines, EarlierSqliteFile, ::testing::Values(db::Engine::SQLite), testing::engineName);

}  // namespace
}  // namespace passerelle::store
