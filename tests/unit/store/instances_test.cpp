// Several processes or gateway instances on one state database: each outbox batch
// and each inbox batch is claimed by one of them at a time, a received batch is
// stored once, a job runs in one instance, and schema migrations are applied once.
// Every case runs on SQLite (connections of one file) and PostgreSQL (pools).

#include "common/errors.h"
#include "database/migrations.h"
#include "store/extraction_requests.h"
#include "store/state_store.h"
#include "store_engines.h"

#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

namespace passerelle::store {
namespace {

class Instances : public ::testing::TestWithParam<db::Engine> {
protected:
    void SetUp() override {
        database_ = std::make_unique<testing::TestDatabase>(GetParam());
        if (!database_->available()) return testing::TestDatabase::skipWithoutServer();
    }
    std::shared_ptr<db::Database> open() { return database_->open(); }

    static OutboxBatch batch(int n, const std::string& filesFolderId = "") {
        OutboxBatch b;
        b.batchId = "batch-" + std::to_string(1000 + n);
        b.recipient = "region";
        b.purpose = "region-survey-contact";
        b.job = "survey";
        b.recordCount = 1;
        b.payloadDigest = "digest";
        b.createdAt = "2026-11-29T10:00:00Z";
        b.filesFolderId = filesFolderId;
        return b;
    }

    std::unique_ptr<testing::TestDatabase> database_;
};

// Owners of another host: their claims hold until the lease ends, whatever the pids here.
std::string owner(int instance, int worker) {
    return "instance-" + std::to_string(instance) + ".example:" + std::to_string(100 + worker);
}

TEST_P(Instances, TwoInstancesWithThreeWorkersEachSendEveryBatchOnce) {
    constexpr int kBatches = 300;
    StateStore a(open()), b(open());
    for (int i = 0; i < kBatches; ++i) a.outbox().addToOutbox(batch(i));
    std::mutex mutex;
    std::map<std::string, int> claimed;
    std::vector<std::thread> workers;
    std::atomic<int> failures{0};
    for (int instance = 0; instance < 2; ++instance) {
        for (int worker = 0; worker < 3; ++worker) {
            workers.emplace_back([&, instance, worker] {
                StateStore& store = instance == 0 ? a : b;
                const Claim claim{owner(instance, worker), 1000, 300};
                try {
                    for (;;) {
                        const auto got = store.outbox().claimDue(claim, 4);
                        if (got.empty()) return;
                        for (const OutboxBatch& one : got) {
                            {
                                std::lock_guard lock(mutex);
                                ++claimed[one.batchId];
                            }
                            store.outbox().recordReceipt(one.batchId, "{}", "c2ln", "2026-11-29T10:00:05Z");
                        }
                    }
                } catch (const std::exception& e) {
                    ++failures;
                    ADD_FAILURE() << e.what();
                }
            });
        }
    }
    for (auto& t : workers) t.join();
    EXPECT_EQ(failures.load(), 0);
    ASSERT_EQ(claimed.size(), static_cast<std::size_t>(kBatches)) << "every batch was sent";
    for (const auto& [id, times] : claimed) EXPECT_EQ(times, 1) << id << " was claimed twice";
    EXPECT_EQ(a.outbox().outboxWithStatus(OutboxStatus::Receipted).size(), static_cast<std::size_t>(kBatches));
}

// Workers of one process (or processes of one host) asking for batches one at a time:
// the rows a sibling is sending must not fill the query's LIMIT and leave them empty-handed.
TEST_P(Instances, BatchesBeingSentBySiblingsDoNotHideTheNextOnes) {
    StateStore store(open());
    for (int i = 0; i < 5; ++i) store.outbox().addToOutbox(batch(i));
    const Claim me{processOwner(), 1000, 300};
    const auto first = store.outbox().claimDue(me, 2);
    ASSERT_EQ(first.size(), 2u);
    const auto next = store.outbox().claimDue(me, 2);
    ASSERT_EQ(next.size(), 2u) << "the two batches in flight are not counted against the limit";
    EXPECT_EQ(next[0].batchId, "batch-1002");
    EXPECT_EQ(next[1].batchId, "batch-1003");
    EXPECT_EQ(store.outbox().claimDue(me, 2).size(), 1u);

    for (int i = 0; i < 3; ++i) {
        InboxBatch row;
        row.batchId = "in-" + std::to_string(i);
        row.sender = "univ-a";
        row.purpose = "p";
        row.receivedAt = "2026-11-29T10:00:0" + std::to_string(i) + "Z";
        row.receipt = "{}";
        row.receiptSignature = "c2ln";
        store.inbox().addToInbox(row);
    }
    ASSERT_EQ(store.inbox().claimAwaitingSink(me, 1).size(), 1u);
    const auto sink = store.inbox().claimAwaitingSink(me, 1);
    ASSERT_EQ(sink.size(), 1u) << "the batch being handed over does not hide the next";
    EXPECT_EQ(sink[0].batchId, "in-1");
}

TEST_P(Instances, AnInstanceClaimsOnlyBatchesWhoseFilesItCanRead) {
    StateStore store(open());
    store.outbox().addToOutbox(batch(1, "folder-a"));
    store.outbox().addToOutbox(batch(2, "folder-b"));
    store.outbox().addToOutbox(batch(3, ""));  // queued before folders were named: anyone's
    const auto got = store.outbox().claimDue({owner(0, 0), 1000, 300, "folder-a"}, 10);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].batchId, "batch-1001");
    EXPECT_EQ(got[1].batchId, "batch-1003");
    EXPECT_EQ(store.outbox().claimDue({owner(1, 0), 1000, 300, "folder-b"}, 10).size(), 1u);
}

TEST_P(Instances, TwoRegionInstancesHandEachStoredBatchToTheSinkOnce) {
    constexpr int kBatches = 120;
    StateStore a(open()), b(open());
    for (int i = 0; i < kBatches; ++i) {
        InboxBatch row;
        row.batchId = "in-" + std::to_string(1000 + i);
        row.sender = i % 2 ? "univ-a" : "univ-b";
        row.purpose = "region-survey-contact";
        row.recordCount = 2;
        row.payloadDigest = "digest";
        row.receivedAt = "2026-11-29T10:00:00Z";
        row.receipt = "{\"batch\":" + std::to_string(i) + "}";
        row.receiptSignature = "c2ln";
        (i % 2 ? a : b).inbox().addToInbox(row);
    }
    std::mutex mutex;
    std::map<std::string, int> handed;
    std::vector<std::thread> workers;
    for (int instance = 0; instance < 2; ++instance) {
        for (int worker = 0; worker < 2; ++worker) {
            workers.emplace_back([&, instance, worker] {
                StateStore& store = instance == 0 ? a : b;
                try {
                    for (;;) {
                        const auto got = store.inbox().claimAwaitingSink({owner(instance, worker), 1000, 300}, 3);
                        if (got.empty()) return;
                        for (const InboxBatch& one : got) {
                            {
                                std::lock_guard lock(mutex);
                                ++handed[one.batchId];
                            }
                            store.inbox().recordSinkDelivery(one.batchId, "2026-11-29T10:00:09Z");
                        }
                    }
                } catch (const std::exception& e) {
                    ADD_FAILURE() << e.what();
                }
            });
        }
    }
    for (auto& t : workers) t.join();
    ASSERT_EQ(handed.size(), static_cast<std::size_t>(kBatches));
    for (const auto& [id, times] : handed) EXPECT_EQ(times, 1) << id << " went to the sink twice";
    EXPECT_TRUE(a.inbox().awaitingSink().empty());
}

TEST_P(Instances, AFailedSinkHandOffReleasesTheBatchAndCountsTheAttempt) {
    StateStore store(open());
    InboxBatch row;
    row.batchId = "in-1";
    row.sender = "univ-a";
    row.purpose = "p";
    row.receivedAt = "2026-11-29T10:00:00Z";
    row.receipt = "{}";
    row.receiptSignature = "c2ln";
    store.inbox().addToInbox(row);
    ASSERT_EQ(store.inbox().claimAwaitingSink({owner(0, 0), 1000, 300}, 5).size(), 1u);
    EXPECT_TRUE(store.inbox().claimAwaitingSink({owner(1, 0), 1001, 300}, 5).empty()) << "claimed by the first";
    store.inbox().recordSinkFailure("in-1", "sink database unreachable");
    const auto again = store.inbox().claimAwaitingSink({owner(1, 0), 1002, 300}, 5);
    ASSERT_EQ(again.size(), 1u) << "released by the failure";
    EXPECT_EQ(again[0].sinkAttempts, 1u);
    EXPECT_EQ(again[0].sinkError, "sink database unreachable");
    EXPECT_EQ(store.inbox().claimAwaitingSink({owner(2, 0), 1002 + 301, 300}, 5).size(), 1u) << "an expired lease is free";
}

TEST_P(Instances, ABatchReceivedByTwoInstancesIsStoredOnceWithTheFirstReceipt) {
    StateStore a(open()), b(open());
    InboxBatch first;
    first.batchId = "in-1";
    first.sender = "univ-a";
    first.purpose = "p";
    first.receivedAt = "2026-11-29T10:00:00Z";
    first.receipt = "{\"by\":\"a\"}";
    first.receiptSignature = "YQ==";
    InboxBatch second = first;
    second.receipt = "{\"by\":\"b\"}";
    second.receiptSignature = "Yg==";
    EXPECT_EQ(a.inbox().addToInbox(first).receipt, first.receipt);
    const InboxBatch stored = b.inbox().addToInbox(second);
    EXPECT_EQ(stored.receipt, first.receipt) << "the second instance returns the receipt already given";
    EXPECT_EQ(b.inbox().all().size(), 1u);
}

TEST_P(Instances, AJobLockIsHeldByOneInstanceAtATime) {
    StateStore a(open()), b(open());
    auto held = a.locks().tryExclusive("job survey");
    ASSERT_TRUE(held);
    if (GetParam() == db::Engine::PostgreSQL) {
        EXPECT_FALSE(b.locks().tryExclusive("job survey")) << "the other instance must skip the run";
        EXPECT_TRUE(b.locks().tryExclusive("job other")) << "another job is free";
        held.reset();
        EXPECT_TRUE(b.locks().tryExclusive("job survey")) << "free once the first run ends";
    } else {
        EXPECT_TRUE(b.locks().tryExclusive("job survey")) << "SQLite instances share a host: the job's lock file decides";
    }
}

TEST_P(Instances, AReplayedExtractionRequestIsAdmittedByOneInstanceOnly) {
    ExtractionRequests a(open()), b(open());
    const ExtractionRequestRow request{std::string(32, 'a'), std::string(32, 'b'), "region", "p", "2026-01-01",
                                       "2026-06-30", "2026-11-29T10:00:00Z", "2026-11-29T10:00:01Z", "", ""};
    EXPECT_TRUE(a.admit(request));
    EXPECT_FALSE(b.admit(request)) << "the same request at another instance is a replay";
    ExtractionRequestRow sameNonce = request;
    sameNonce.requestId = std::string(32, 'c');
    EXPECT_FALSE(b.admit(sameNonce)) << "its nonce too";
    b.recordOutcome(request.requestId, "served", "batch-1");
    EXPECT_EQ(a.find(request.requestId)->outcome, "served");
}

TEST_P(Instances, MigrationsStartingTogetherApplyEachVersionOnce) {
    std::vector<std::thread> starts;
    std::atomic<int> failures{0};
    for (int i = 0; i < 4; ++i) {
        starts.emplace_back([&] {
            try {
                StateStore store(open());
                ExtractionRequests requests(store.sharedDatabase());
            } catch (const std::exception& e) {
                ++failures;
                ADD_FAILURE() << e.what();
            }
        });
    }
    for (auto& t : starts) t.join();
    EXPECT_EQ(failures.load(), 0);
    auto database = open();
    EXPECT_EQ(db::schemaVersion(*database, "state"), 1);
    EXPECT_EQ(db::schemaVersion(*database, "extraction_requests"), 1);
}

TEST_P(Instances, ADatabaseOfANewerVersionIsRefusedNamingBothVersions) {
    auto database = open();
    { StateStore store(database); }
    database->withConnection([](db::Connection& c) {
        c.execute("INSERT INTO schema_migrations (part, version, summary, applied_at)"
                  " VALUES ('state', 7, 'from the future', '2030-01-01T00:00:00Z')");
    });
    try {
        StateStore store(open());
        FAIL() << "a newer schema must be refused";
    } catch (const StoreError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("version 7"), std::string::npos) << message;
        EXPECT_NE(message.find("(1)"), std::string::npos) << message;
    }
}

// A PostgreSQL restart, a failover or an idle timeout cuts the pool's connections:
// the operation that meets a dead session fails (its caller retries, as it does for any
// store error) and the next ones get a fresh session.
class ServerConnections : public Instances {};

TEST_P(ServerConnections, AStoreCarriesOnAfterTheServerCutItsConnections) {
    StateStore store(open());
    store.outbox().addToOutbox(batch(1));
    ASSERT_TRUE(store.outbox().outboxBatch("batch-1001"));
    integration::PostgresForTest::query(database_->conninfo(),
                                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                        " WHERE datname = current_database() AND pid <> pg_backend_pid()");
    int failures = 0;
    std::optional<OutboxBatch> row;
    for (int attempt = 0; attempt < 10 && !row; ++attempt) {
        try {
            row = store.outbox().outboxBatch("batch-1001");
        } catch (const StoreError& e) {
            ++failures;
            EXPECT_NE(std::string(e.what()).find("state store"), std::string::npos) << e.what();
        }
    }
    ASSERT_TRUE(row) << "the store never recovered";
    std::cout << "[ pool     ] " << failures << " operation(s) failed on a cut session before a fresh one" << std::endl;
    EXPECT_LE(failures, 8) << "each dead pooled session should fail once at most, then be dropped";
    store.outbox().addToOutbox(batch(2));
    EXPECT_EQ(store.outbox().claimDue({owner(0, 0), 1000, 300}, 10).size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Engines, ServerConnections, ::testing::Values(db::Engine::PostgreSQL), testing::engineName);
INSTANTIATE_TEST_SUITE_P(Engines, Instances, ::testing::Values(db::Engine::SQLite, db::Engine::PostgreSQL),
                         testing::engineName);

}  // namespace
}  // namespace passerelle::store
