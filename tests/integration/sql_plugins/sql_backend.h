#pragma once
// One test database, SQLite or PostgreSQL, behind one interface, so each test of
// source.sql and sink.sql runs on both connectors. All data here is synthetic.

#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../support/postgres_server.h"
#include "plugin/plugin_host.h"

namespace passerelle::integration {

namespace fs = std::filesystem;

class TestDatabase {
public:
    virtual ~TestDatabase() = default;
    virtual std::string connector() const = 0;
    virtual std::string database() const = 0;  // the plugin's 'database' setting
    virtual void execute(const std::string& sql) = 0;
    virtual std::vector<PgRow> query(const std::string& sql) = 0;

    plugin::Settings connection() const { return {{"connector", connector()}, {"database", database()}}; }
};

class SqliteTestDatabase : public TestDatabase {
public:
    explicit SqliteTestDatabase(fs::path file) : file_(std::move(file)) {}
    std::string connector() const override { return "sqlite"; }
    std::string database() const override { return file_.string(); }
    void execute(const std::string& sql) override {
        Handle db = open();
        char* error = nullptr;
        if (sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            const std::string why = error != nullptr ? error : "unknown";
            sqlite3_free(error);
            throw std::runtime_error("test SQLite: " + why);
        }
    }
    std::vector<PgRow> query(const std::string& sql) override {
        Handle db = open();
        sqlite3_stmt* raw = nullptr;
        if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK)
            throw std::runtime_error("test SQLite: " + std::string(sqlite3_errmsg(db.get())));
        std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, &sqlite3_finalize);
        std::vector<PgRow> rows;
        while (sqlite3_step(stmt.get()) == SQLITE_ROW) {
            PgRow row;
            for (int c = 0; c < sqlite3_column_count(stmt.get()); ++c) {
                if (sqlite3_column_type(stmt.get(), c) == SQLITE_NULL) {
                    row.emplace_back(std::nullopt);
                } else {
                    row.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), c)));
                }
            }
            rows.push_back(std::move(row));
        }
        return rows;
    }

private:
    using Handle = std::unique_ptr<sqlite3, decltype(&sqlite3_close)>;
    Handle open() const {
        sqlite3* db = nullptr;
        sqlite3_open(file_.c_str(), &db);
        return Handle(db, &sqlite3_close);
    }
    fs::path file_;
};

class PostgresTestDatabase : public TestDatabase {
public:
    explicit PostgresTestDatabase(std::string conninfo) : conninfo_(std::move(conninfo)) {}
    std::string connector() const override { return "postgresql"; }
    std::string database() const override { return conninfo_; }
    void execute(const std::string& sql) override { PostgresForTest::execute(conninfo_, sql); }
    std::vector<PgRow> query(const std::string& sql) override {
        return PostgresForTest::query(conninfo_, sql);
    }

private:
    std::string conninfo_;
};

// Parameterised by connector: "sqlite" needs nothing, "postgresql" the suite's server.
class SqlPluginTest : public PostgresTest, public ::testing::WithParamInterface<std::string> {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "passerelle-sql-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        if (GetParam() == "sqlite") {
            db_ = std::make_unique<SqliteTestDatabase>(dir_ / "test.sqlite");
        } else {
            PostgresTest::SetUp();
            if (IsSkipped() || HasFatalFailure()) return;
            db_ = std::make_unique<PostgresTestDatabase>(postgres().freshDatabase());
        }
    }

    void TearDown() override {
        PostgresTest::TearDown();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    TestDatabase& db() { return *db_; }
    const fs::path& dir() const { return dir_; }
    bool isPostgres() const { return GetParam() == "postgresql"; }

    fs::path writeFile(const std::string& name, const std::string& bytes, mode_t mode = 0600) {
        const fs::path file = dir_ / name;
        std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
        ::chmod(file.c_str(), mode);
        return file;
    }

private:
    fs::path dir_;
    std::unique_ptr<TestDatabase> db_;
};

inline std::string connectorName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace passerelle::integration
