#pragma once
// The store tests run on both engines: an SQLite file in a temporary folder, and a
// fresh database of the suite's PostgreSQL (started by ./scripts/test; without it the
// PostgreSQL cases are skipped, or fail under PASSERELLE_POSTGRES_REQUIRED=1).

#include "database/database.h"

#include "../../integration/support/postgres_server.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace passerelle::db {
// How gtest names the parameter in test listings.
inline void PrintTo(Engine engine, std::ostream* out) { *out << (engine == Engine::SQLite ? "SQLite" : "PostgreSQL"); }
}  // namespace passerelle::db

namespace passerelle::store::testing {

inline std::string engineName(const ::testing::TestParamInfo<db::Engine>& info) {
    return info.param == db::Engine::SQLite ? "SQLite" : "PostgreSQL";
}

// One per test: its folder or its database, removed at the end.
class TestDatabase {
public:
    // Skips (or fails) the current test when the engine is PostgreSQL and there is no server.
    explicit TestDatabase(db::Engine engine) : engine_(engine) {
        std::string pattern = (std::filesystem::temp_directory_path() / "passerelle-store-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        if (engine == db::Engine::PostgreSQL) {
            const auto server = integration::PostgresForTest::serverConninfo();
            if (!server) return;
            postgres_ = std::make_unique<integration::PostgresForTest>(*server);
            conninfo_ = postgres_->freshDatabase();
        }
    }
    ~TestDatabase() {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    // False when the test must stop: call as `if (!db.available()) return;` after SKIP/FAIL was said.
    bool available() const { return engine_ == db::Engine::SQLite || postgres_ != nullptr; }
    static void skipWithoutServer() {
        if (integration::PostgresForTest::required()) {
            FAIL() << "PASSERELLE_POSTGRES_REQUIRED=1 but PASSERELLE_TEST_POSTGRES is not set";
        }
        GTEST_SKIP() << "no test PostgreSQL (PASSERELLE_TEST_POSTGRES unset); run ./scripts/test";
    }

    // A new connection (an SQLite session, or a PostgreSQL pool): another process or instance.
    std::shared_ptr<db::Database> open() const {
        if (engine_ == db::Engine::SQLite) return std::make_shared<db::Database>(db::Location::sqlite(dir_ / "state.db"));
        return std::make_shared<db::Database>(db::Location{db::Engine::PostgreSQL, conninfo_}, 8);
    }

    const std::filesystem::path& dir() const { return dir_; }
    const std::string& conninfo() const { return conninfo_; }
    integration::PostgresForTest& postgres() { return *postgres_; }

private:
    db::Engine engine_;
    std::filesystem::path dir_;
    std::unique_ptr<integration::PostgresForTest> postgres_;
    std::string conninfo_;
};

}  // namespace passerelle::store::testing
