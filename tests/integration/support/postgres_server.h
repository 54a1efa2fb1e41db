#pragma once
// The suite's PostgreSQL server (started by ./scripts/test, scripts/lib/postgres.sh)
// and a fresh database per test, so tests never see each other's tables.
//
//   class MyTest : public passerelle::integration::PostgresTest {};
//   TEST_F(MyTest, X) {
//       const std::string conninfo = postgres().freshDatabase();  // dropped after the test
//       postgres().execute(conninfo, "CREATE TABLE t (a text)");
//   }
//
// Without PASSERELLE_TEST_POSTGRES the test is skipped, or fails when
// PASSERELLE_POSTGRES_REQUIRED=1 (as under ./scripts/test). Link PostgreSQL::PostgreSQL.

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace passerelle::integration {

using PgRow = std::vector<std::optional<std::string>>;

class PostgresForTest {
public:
    // The server's conninfo (no password), or nullopt when the suite has none.
    static std::optional<std::string> serverConninfo() {
        const char* value = std::getenv("PASSERELLE_TEST_POSTGRES");
        if (value == nullptr || *value == '\0') return std::nullopt;
        return std::string(value);
    }

    static bool required() {
        const char* value = std::getenv("PASSERELLE_POSTGRES_REQUIRED");
        return value != nullptr && std::string(value) == "1";
    }

    explicit PostgresForTest(std::string conninfo) : server_(std::move(conninfo)) {}

    ~PostgresForTest() {
        // Cleanup is best effort: a server already gone takes its databases with it.
        for (const std::string& db : databases_)
            tryExecute(server_, "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        for (const std::string& role : roles_) tryExecute(server_, "DROP ROLE IF EXISTS " + role);
    }
    PostgresForTest(const PostgresForTest&) = delete;
    PostgresForTest& operator=(const PostgresForTest&) = delete;

    const std::string& server() const { return server_; }

    // A new, empty database owned by the suite's role; its conninfo. Dropped at the end.
    std::string freshDatabase() {
        const std::string name = uniqueName("passerelle_t_");
        execute(server_, "CREATE DATABASE " + name);
        databases_.push_back(name);
        return withKey(server_, "dbname", name);
    }

    // A login role that must give `password` (pg_hba: member of passerelle_password_auth)
    // and may connect to the database of `conninfo`. Dropped at the end.
    std::string passwordRole(const std::string& password) {
        const std::string name = uniqueName("passerelle_r_");
        std::unique_ptr<PGconn, decltype(&PQfinish)> conn(connect(server_), &PQfinish);
        char* quoted = PQescapeLiteral(conn.get(), password.c_str(), password.size());
        const std::string literal = quoted != nullptr ? quoted : "''";
        PQfreemem(quoted);
        execute(server_,
                "CREATE ROLE " + name + " LOGIN PASSWORD " + literal + " IN ROLE passerelle_password_auth");
        roles_.push_back(name);
        return name;
    }

    // A conninfo with one keyword replaced (or added), e.g. withKey(c, "user", role).
    static std::string withKey(const std::string& conninfo, const std::string& key,
                               const std::string& value) {
        char* error = nullptr;
        PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
        if (options == nullptr) {
            PQfreemem(error);
            throw std::runtime_error("PASSERELLE_TEST_POSTGRES is not a libpq conninfo");
        }
        std::string out;
        for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
            if (o->val == nullptr || key == o->keyword) continue;
            out += std::string(o->keyword) + "=" + o->val + " ";
        }
        PQconninfoFree(options);
        return out + key + "=" + value;
    }

    // Runs one or more statements; throws with the server's message on failure.
    static void execute(const std::string& conninfo, const std::string& sql) { query(conninfo, sql); }

    // Rows of a SELECT, NULL as nullopt.
    static std::vector<PgRow> query(const std::string& conninfo, const std::string& sql) {
        std::unique_ptr<PGconn, decltype(&PQfinish)> conn(connect(conninfo), &PQfinish);
        std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
        const auto status = PQresultStatus(result.get());
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            throw std::runtime_error("test PostgreSQL: " + std::string(PQresultErrorMessage(result.get())));
        }
        std::vector<PgRow> rows;
        for (int r = 0; r < PQntuples(result.get()); ++r) {
            PgRow row;
            for (int c = 0; c < PQnfields(result.get()); ++c) {
                if (PQgetisnull(result.get(), r, c)) {
                    row.emplace_back(std::nullopt);
                } else {
                    row.emplace_back(std::string(PQgetvalue(result.get(), r, c),
                                                 static_cast<std::size_t>(PQgetlength(result.get(), r, c))));
                }
            }
            rows.push_back(std::move(row));
        }
        return rows;
    }

private:
    static PGconn* connect(const std::string& conninfo) {
        PGconn* conn = PQconnectdb(conninfo.c_str());
        if (PQstatus(conn) != CONNECTION_OK) {
            const std::string why = PQerrorMessage(conn);
            PQfinish(conn);
            throw std::runtime_error("cannot reach the test PostgreSQL (" + why + "); run ./scripts/test");
        }
        return conn;
    }

    static void tryExecute(const std::string& conninfo, const std::string& sql) noexcept {
        try {
            execute(conninfo, sql);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "test PostgreSQL cleanup: %s\n", e.what());
        }
    }

    static std::string uniqueName(const std::string& prefix) {
        static std::mt19937_64 random{std::random_device{}()};
        static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        std::string name = prefix;
        for (int i = 0; i < 12; ++i) name += alphabet[random() % (sizeof alphabet - 1)];
        return name;
    }

    std::string server_;
    std::vector<std::string> databases_;
    std::vector<std::string> roles_;
};

// A fixture whose tests need the suite's PostgreSQL: skipped (or failed, when
// required) without it.
class PostgresTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto conninfo = PostgresForTest::serverConninfo();
        if (!conninfo) {
            if (PostgresForTest::required()) {
                FAIL() << "PASSERELLE_POSTGRES_REQUIRED=1 but PASSERELLE_TEST_POSTGRES is not set";
            }
            GTEST_SKIP() << "no test PostgreSQL (PASSERELLE_TEST_POSTGRES unset); run ./scripts/test, "
                            "which starts one";
        }
        postgres_ = std::make_unique<PostgresForTest>(*conninfo);
    }

    void TearDown() override { postgres_.reset(); }

    PostgresForTest& postgres() { return *postgres_; }

private:
    std::unique_ptr<PostgresForTest> postgres_;
};

}  // namespace passerelle::integration
