// db::Connection, the one way the store, the ledger and the migration run SQL
// (gateway/src/database/connection.h): parameters and typed rows on both engines,
// '?' numbering, chunked reads, errors, rollback, session locks and read snapshots.
// Every case runs on SQLite and on the suite's PostgreSQL.

#include "database/database.h"

#include "../store/store_engines.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace passerelle::db {
namespace {

using store::testing::TestDatabase;

class ConnectionTest : public ::testing::TestWithParam<Engine> {
protected:
    void SetUp() override {
        database_ = std::make_unique<TestDatabase>(GetParam());
        if (!database_->available()) return TestDatabase::skipWithoutServer();
        db_ = database_->open();
        const char* bytes = GetParam() == Engine::PostgreSQL ? "BYTEA" : "BLOB";
        db_->withConnection([&](Connection& c) {
            c.execute(std::string("CREATE TABLE t (k BIGINT PRIMARY KEY, i BIGINT, s TEXT, b ") + bytes + ")");
        });
    }

    std::int64_t count() {
        return db_->withConnection([](Connection& c) { return c.integer("SELECT COUNT(*) FROM t"); });
    }

    std::unique_ptr<TestDatabase> database_;
    std::shared_ptr<Database> db_;
};

constexpr std::array<ColumnType, 4> kColumns{ColumnType::Integer, ColumnType::Integer, ColumnType::Text,
                                             ColumnType::Bytes};

TEST_P(ConnectionTest, ValuesAndNullsRoundTripInTheTypesAsked) {
    const std::string zeros("a\0b\0", 4);
    const std::optional<std::string> none;
    db_->withConnection([&](Connection& c) {
        c.execute("INSERT INTO t (k, i, s, b) VALUES (?, ?, ?, ?)",
                  {1, std::numeric_limits<std::int64_t>::min(), "l'été ? \"quoted\"", Value::bytes(zeros)});
        c.execute("INSERT INTO t (k, i, s, b) VALUES (?, ?, ?, ?)", {2, Value(), none, Value()});
    });
    const Rows rows = db_->withConnection([](Connection& c) {
        return c.query("SELECT k, i, s, b FROM t ORDER BY k", std::vector<ColumnType>(kColumns.begin(), kColumns.end()));
    });
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows.columns(), 4u);
    EXPECT_EQ(rows.integer(0, 1), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(rows.text(0, 2), "l'été ? \"quoted\"");
    EXPECT_EQ(rows.bytesAsText(0, 3), zeros);
    EXPECT_FALSE(rows.isNull(0, 3));
    for (std::size_t column = 1; column < 4; ++column) EXPECT_TRUE(rows.isNull(1, column)) << column;
    EXPECT_EQ(rows.integer(1, 1), 0);
    EXPECT_EQ(rows.optionalInteger(1, 1), std::nullopt);
    EXPECT_EQ(rows.text(1, 2), "");
    EXPECT_EQ(rows.optionalText(1, 2), std::nullopt);
    EXPECT_TRUE(rows.bytes(1, 3).empty());
    EXPECT_TRUE(rows.value(1, 3).isNull());
    EXPECT_EQ(std::get<std::int64_t>(rows.value(0, 0).held()), 1);
}

TEST_P(ConnectionTest, EmptyTextAndEmptyBytesAreNotNull) {
    db_->withConnection([](Connection& c) {
        c.execute("INSERT INTO t (k, s, b) VALUES (?, ?, ?)", {1, "", Value::bytes(std::string_view())});
    });
    const Rows rows = db_->withConnection([](Connection& c) {
        return c.query("SELECT s, b, CASE WHEN s IS NULL THEN 1 ELSE 0 END, CASE WHEN b IS NULL THEN 1 ELSE 0 END"
                       " FROM t",
                       {ColumnType::Text, ColumnType::Bytes, ColumnType::Integer, ColumnType::Integer});
    });
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows.integer(0, 2), 0) << "'' was stored as NULL";
    EXPECT_EQ(rows.integer(0, 3), 0) << "empty bytes were stored as NULL";
    EXPECT_FALSE(rows.isNull(0, 0));
    // Poco's PostgreSQL connector reads an empty bytea as NULL (connection.h says so).
    if (GetParam() == Engine::SQLite) {
        EXPECT_FALSE(rows.isNull(0, 1));
    }
    EXPECT_TRUE(rows.bytes(0, 1).empty());
}

TEST_P(ConnectionTest, EverySixtyFourBitIntegerComesBackExactly) {
    // Beyond 2^53 a double would round: the connector must not read integers through one.
    const std::vector<std::int64_t> values{std::numeric_limits<std::int64_t>::max(),
                                           std::numeric_limits<std::int64_t>::max() - 1, (1LL << 62) + 1,
                                           -(1LL << 62) - 3, (1LL << 53) + 1};
    db_->transaction([&](Connection& c) {
        for (std::size_t k = 0; k < values.size(); ++k) c.execute("INSERT INTO t (k, i) VALUES (?, ?)", {k, values[k]});
    });
    const Rows rows = db_->withConnection(
        [](Connection& c) { return c.query("SELECT i FROM t ORDER BY k", {ColumnType::Integer}); });
    ASSERT_EQ(rows.size(), values.size());
    for (std::size_t r = 0; r < values.size(); ++r) EXPECT_EQ(rows.integer(r, 0), values[r]) << r;
    const std::int64_t top = db_->withConnection([](Connection& c) { return c.integer("SELECT MAX(i) FROM t"); });
    EXPECT_EQ(top, std::numeric_limits<std::int64_t>::max());
}

TEST_P(ConnectionTest, AQuestionMarkInQuotedTextIsNotAParameter) {
    const auto text = db_->withConnection([](Connection& c) { return c.text("SELECT CAST('?' AS TEXT) || CAST(? AS TEXT)", {"x"}); });
    EXPECT_EQ(text, "?x");
}

TEST_P(ConnectionTest, ExecuteCountsTheRowsItChangedAndScalarsHaveAFallback) {
    db_->withConnection([](Connection& c) {
        for (int k = 1; k <= 3; ++k) c.execute("INSERT INTO t (k, i) VALUES (?, ?)", {k, k * 10});
        EXPECT_EQ(c.execute("UPDATE t SET i = i + 1 WHERE k >= ?", {2}), 2u);
        EXPECT_EQ(c.execute("DELETE FROM t WHERE k = ?", {99}), 0u);
        EXPECT_EQ(c.integer("SELECT i FROM t WHERE k = ?", {3}), 31);
        EXPECT_EQ(c.integer("SELECT i FROM t WHERE k = ?", {99}, -1), -1);
        EXPECT_EQ(c.text("SELECT s FROM t WHERE k = ?", {1}), std::nullopt);
    });
}

TEST_P(ConnectionTest, ChunksCoverEveryRowInOrderAndNeverHoldMoreThanAChunk) {
    db_->transaction([](Connection& c) {
        for (int k = 1; k <= 2500; ++k) c.execute("INSERT INTO t (k, s) VALUES (?, ?)", {k, std::to_string(k)});
    });
    std::vector<std::size_t> sizes;
    std::int64_t expected = 1;
    db_->withConnection([&](Connection& c) {
        c.forEachChunk("SELECT k, s FROM t WHERE k >= ? ORDER BY k", {ColumnType::Integer, ColumnType::Text}, {1},
                       1000, [&](const Rows& rows) {
                           sizes.push_back(rows.size());
                           for (std::size_t r = 0; r < rows.size(); ++r, ++expected) {
                               EXPECT_EQ(rows.integer(r, 0), expected);
                               EXPECT_EQ(rows.text(r, 1), std::to_string(expected));
                           }
                       });
    });
    EXPECT_EQ(sizes, (std::vector<std::size_t>{1000, 1000, 500}));
    EXPECT_EQ(expected, 2501);
}

TEST_P(ConnectionTest, AFailedStatementIsADatabaseErrorAndItsTransactionIsRolledBack) {
    try {
        db_->withConnection([](Connection& c) { c.execute("SELECT * FROM no_such_table"); });
        FAIL() << "a missing table was not an error";
    } catch (const DatabaseError& e) {
        EXPECT_NE(std::string(e.what()).find("no_such_table"), std::string::npos) << e.what();
    }
    EXPECT_THROW(db_->transaction([](Connection& c) {
        c.execute("INSERT INTO t (k) VALUES (?)", {1});
        c.execute("INSERT INTO t (k) VALUES (?)", {1});  // the same key
    }),
                 DatabaseError);
    EXPECT_THROW(db_->transaction([](Connection& c) {
        c.execute("INSERT INTO t (k) VALUES (?)", {2});
        throw std::runtime_error("the caller's own failure");
    }),
                 std::runtime_error);
    EXPECT_EQ(count(), 0) << "both transactions rolled back";
    // The connection is usable afterwards.
    db_->transaction([](Connection& c) { c.execute("INSERT INTO t (k) VALUES (?)", {3}); });
    EXPECT_EQ(count(), 1);
}

TEST_P(ConnectionTest, MisuseIsRefusedBeforeItReachesTheDatabase) {
    const Rows rows = db_->withConnection([](Connection& c) {
        c.execute("INSERT INTO t (k, s) VALUES (?, ?)", {1, "one"});
        return c.query("SELECT k, s FROM t", {ColumnType::Integer, ColumnType::Text});
    });
    EXPECT_THROW((void)rows.text(0, 0), std::logic_error) << "column 0 was read as an integer";
    EXPECT_THROW((void)rows.integer(0, 2), std::logic_error) << "there is no column 2";
    EXPECT_THROW((void)rows.integer(1, 0), std::logic_error) << "there is no row 1";
    EXPECT_THROW((void)Value{std::numeric_limits<std::uint64_t>::max()}, std::out_of_range);
}

TEST_P(ConnectionTest, AReadSnapshotDoesNotSeeWhatOthersCommitMeanwhile) {
    db_->withConnection([](Connection& c) { c.execute("INSERT INTO t (k) VALUES (?)", {1}); });
    const auto seen = db_->readSnapshot([&](Connection& c) {
        const std::int64_t before = c.integer("SELECT COUNT(*) FROM t");
        db_->withConnection([](Connection& other) { other.execute("INSERT INTO t (k) VALUES (?)", {2}); });
        return std::make_pair(before, c.integer("SELECT COUNT(*) FROM t"));
    });
    EXPECT_EQ(seen.first, 1);
    EXPECT_EQ(seen.second, 1) << "the row committed during the snapshot is not in it";
    EXPECT_EQ(count(), 2);
}

TEST_P(ConnectionTest, ASessionLockExcludesAnotherInstanceUntilReleased) {
    auto other = database_->open();
    auto held = db_->sessionLock("job:survey", false);
    ASSERT_TRUE(held);
    if (GetParam() == Engine::SQLite) {
        EXPECT_TRUE(other->sessionLock("job:survey", false)) << "SQLite instances share a host: no lock needed";
        return;
    }
    EXPECT_FALSE(other->sessionLock("job:survey", false));
    EXPECT_TRUE(other->sessionLock("job:another", false));
    held.reset();
    EXPECT_TRUE(other->sessionLock("job:survey", false));
}

INSTANTIATE_TEST_SUITE_P(Engines, ConnectionTest, ::testing::Values(Engine::SQLite, Engine::PostgreSQL),
                         store::testing::engineName);

}  // namespace
}  // namespace passerelle::db
