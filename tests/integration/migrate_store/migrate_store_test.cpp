// passerelle migrate-store (docs/migrate-store.md): an institution's whole state
// moved from its SQLite files into PostgreSQL, where its gateway carries on; a
// target that is not empty and a ledger that does not verify are refused, nothing
// written; --to alone makes the schema; a wrong database is named, its password never.
//
// Rows some features would take days or a counterpart's request to bring about (a
// scheduled run, an admitted extraction request, an entry blanked by retention) are
// written with sqlite3 into the real installation, as those features write them.

#include <sqlite3.h>

#include "../support/exchange_fixture.h"
#include "common/clock.h"
#include "ledger/ledger.h"
#include "../support/postgres_server.h"

namespace passerelle::integration {
namespace {

// Every table the move copies, and the SQLite file each lives in.
const std::vector<std::pair<std::string, std::string>> kTables = {
    {"outbox", "state.db"},           {"inbox", "state.db"},        {"job_cursor", "state.db"},
    {"job_runs", "state.db"},         {"objections", "state.db"},   {"extraction_requests", "state.db"},
    {"ledger_entries", "ledger.db"},  {"ledger_tree", "ledger.db"}, {"ledger_checkpoints", "ledger.db"},
    {"peer_checkpoints", "ledger.db"}};

using Rows = std::vector<PgRow>;

std::string hex(const unsigned char* bytes, int size) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < size; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 15];
    }
    return out;
}

// The column names of a table in PostgreSQL, in its order.
std::string columnsOf(const std::string& conninfo, const std::string& table) {
    std::string list;
    for (const auto& row : PostgresForTest::query(
             conninfo,
             "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
             " AND table_name = '" +
                 table + "' ORDER BY ordinal_position")) {
        list += (list.empty() ? "" : ", ") + *row.at(0);
    }
    return list;
}

// The rows as PostgreSQL prints them (integers in decimal, bytes as \x + hex), sorted.
Rows postgresRows(const std::string& conninfo, const std::string& table, const std::string& columns) {
    Rows rows = PostgresForTest::query(conninfo, "SELECT " + columns + " FROM " + table);
    std::sort(rows.begin(), rows.end());
    return rows;
}

// The same columns of the SQLite table, printed the same way, sorted.
Rows sqliteRows(const fs::path& file, const std::string& table, const std::string& columns) {
    sqlite3* db = nullptr;
    Rows rows;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << "cannot open " << file;
        sqlite3_close(db);
        return rows;
    }
    sqlite3_stmt* select = nullptr;
    const std::string sql = "SELECT " + columns + " FROM " + table;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &select, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << file << ": " << sql << ": " << sqlite3_errmsg(db);
    }
    while (select != nullptr && sqlite3_step(select) == SQLITE_ROW) {
        PgRow row;
        for (int c = 0; c < sqlite3_column_count(select); ++c) {
            switch (sqlite3_column_type(select, c)) {
                case SQLITE_NULL:
                    row.emplace_back(std::nullopt);
                    break;
                case SQLITE_INTEGER:
                    row.emplace_back(std::to_string(sqlite3_column_int64(select, c)));
                    break;
                case SQLITE_BLOB:
                    row.emplace_back("\\x" +
                                     hex(static_cast<const unsigned char*>(sqlite3_column_blob(select, c)),
                                         sqlite3_column_bytes(select, c)));
                    break;
                default:
                    row.emplace_back(
                        std::string(reinterpret_cast<const char*>(sqlite3_column_text(select, c)),
                                    static_cast<std::size_t>(sqlite3_column_bytes(select, c))));
            }
        }
        rows.push_back(std::move(row));
    }
    sqlite3_finalize(select);
    sqlite3_close(db);
    std::sort(rows.begin(), rows.end());
    return rows;
}

void sqliteExec(const fs::path& file, const std::string& statements) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, statements.c_str(), nullptr, nullptr, &error);
    const std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << file << ": " << message;
}

std::string scalar(const std::string& conninfo, const std::string& sql) {
    const auto rows = PostgresForTest::query(conninfo, sql);
    return rows.empty() || rows[0].empty() ? "" : rows[0][0].value_or("NULL");
}

class MigrateStoreTest : public ExchangeTest {
protected:
    void SetUp() override {
        ExchangeTest::SetUp();
        if (HasFatalFailure()) return;
        const auto server = PostgresForTest::serverConninfo();
        if (!server) {
            if (PostgresForTest::required())
                FAIL() << "PASSERELLE_POSTGRES_REQUIRED=1 but PASSERELLE_TEST_POSTGRES is not set";
            GTEST_SKIP() << "no test PostgreSQL (PASSERELLE_TEST_POSTGRES unset); run ./scripts/test";
        }
        postgres_ = std::make_unique<PostgresForTest>(*server);
    }

    void TearDown() override {
        postgres_.reset();
        ExchangeTest::TearDown();
    }

    PostgresForTest& postgres() { return *postgres_; }

    CommandResult migrate(const std::vector<std::string>& args, const std::string& log) {
        std::vector<std::string> argv = {"migrate-store"};
        argv.insert(argv.end(), args.begin(), args.end());
        return passerelle(argv, log, 60s);
    }

    // Each table of the installation's SQLite files, by name.
    std::map<std::string, Rows> sqliteState(const Institution& inst, const std::string& target) {
        std::map<std::string, Rows> state;
        for (const auto& [table, file] : kTables) {
            state[table] = sqliteRows(inst.stateDir() / file, table, columnsOf(target, table));
        }
        return state;
    }

    std::map<std::string, Rows> postgresState(const std::string& target) {
        std::map<std::string, Rows> state;
        for (const auto& [table, file] : kTables)
            state[table] = postgresRows(target, table, columnsOf(target, table));
        return state;
    }

    // `audit verify` and the root it reports ("ledger: N entries, root HEX").
    std::string verifiedRoot(const Institution& inst, const std::string& log) {
        const auto r = passerelle({"audit", "verify", "--config", inst.config.string()}, log);
        EXPECT_EQ(r.exitCode, 0) << r;
        EXPECT_NE(r.out.find("audit verify: intact"), std::string::npos) << r;
        std::smatch match;
        static const std::regex root(R"(ledger: \d+ entries, root ([0-9a-f]{64}))");
        EXPECT_TRUE(std::regex_search(r.out, match, root)) << r;
        return match.empty() ? "" : match[1].str();
    }

    // The institution's first trainee in the export, by student number.
    static std::string firstStudent(const fs::path& exportFile) {
        const auto rows = lines(readFile(exportFile));
        const auto header = splitCells(rows.at(0), ';');
        const auto column = std::find(header.begin(), header.end(), "COD_ETU") - header.begin();
        return splitCells(rows.at(1), ';').at(static_cast<std::size_t>(column));
    }

    void objectTo(const Institution& inst, const fs::path& exportFile) {
        const auto r = passerelle({"objections", "add", "--config", inst.config.string(), "--local-id",
                                   firstStudent(exportFile), "--purpose", kSurveyPurpose},
                                  "objection");
        ASSERT_EQ(r.exitCode, 0) << r;
    }

    // An institution that has sent both jobs' batches to the running Region (receipted
    // outbox rows, an incremental job's cursor, its own checkpoints and the Region's),
    // holds an objection, a scheduled run, an admitted extraction request and a ledger
    // entry blanked by retention. Returns the running Region.
    std::unique_ptr<RunningRegion> makeInstallation(Institution& inst) {
        const fs::path exportFile = makeExport("univ-montpellier", 30, 0, 31);
        auto region = startMontpellierExchange(exportFile, inst);
        if (!region) return nullptr;
        std::string ini = readFile(inst.config);
        const std::string jobHeader = "[job.survey-contact]\n";
        ini.insert(ini.find(jobHeader) + jobHeader.size(), "incremental = true\n");
        writeFile(inst.config, ini);
        for (const char* job : {"survey-contact", "statistics"}) {
            const auto r = passerelle({"transfer", "--config", inst.config.string(), "--job", job}, job);
            EXPECT_EQ(r.exitCode, 0) << r;
        }
        objectTo(inst, exportFile);
        {
            // The daemon makes the table of extraction requests it would admit.
            ChildProcess daemon({kPasserelle.string(), "run", "--config", inst.config.string()},
                                logs() / "institution");
            EXPECT_TRUE(waitUntil([&] { return daemon.out().find("running") != std::string::npos; }, 15s))
                << daemon.err();
            stopGateway(daemon);
        }
        sqliteExec(
            inst.stateDir() / "state.db",
            "INSERT INTO job_runs (job, last_scheduled_for, last_started_at, last_finished_at, last_outcome)"
            " VALUES ('statistics', 1796101200, '2026-12-01T05:00:00Z', '2026-12-01T05:00:02Z',"
            " 'nothing to send');"
            "INSERT INTO extraction_requests (request_id, nonce, requester, purpose, exit_from, exit_to,"
            " issued_at, received_at, outcome, batch_id) VALUES ('0123456789abcdef0123456789abcdef',"
            " 'fedcba9876543210fedcba9876543210', 'region-occitanie', 'region-statistics', '2026-01-01',"
            " '2026-06-30', '2026-12-01T08:00:00Z', '2026-12-01T08:00:01Z', 'served', '')");
        // A job no longer configured left a cursor bigger than a chunk of the copy (2,000 rows).
        sqliteExec(inst.stateDir() / "state.db",
                   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4500)"
                   " INSERT OR IGNORE INTO job_cursor (job, record_key, digest, batch_id)"
                   " SELECT 'retired-job', random(), random(), 'feedfacefeedfacefeedfacefeedface' FROM n");
        // Retention blanks the oldest entries' bytes and keeps their hashes, after the
        // ledger-purged entry that accounts for them (audit verify alarms without it).
        {
            ledger::Ledger ledger(inst.stateDir() / "ledger.db");
            const auto second = parseUtc(ledger.entry(2)->time);
            EXPECT_TRUE(second.has_value());
            const auto blanked = ledger.blankEntriesBefore(
                formatUtc(second.value_or(std::chrono::system_clock::time_point{}) + 1s),
                [&](const ledger::Ledger::Blanked& b) {
                    ledger::LedgerEntry purge;
                    purge.actor = "test";
                    purge.operation = ledger::toText(ledger::Operation::LedgerPurged);
                    purge.recordCount = b.count;
                    purge.outcome = "blanked";
                    purge.reason = ledger::ledgerPurgeReason(1, b.throughIndex);
                    ledger.append(purge);
                });
            EXPECT_GE(blanked.count, 2u);
        }
        return region;
    }

    // A quieter installation, no Region running: keys, a configuration and one
    // objection (its ledger entry and checkpoint).
    void makeQuietInstallation(Institution& inst) {
        const fs::path exportFile = makeExport("univ-montpellier", 3, 0, 32);
        makePki({kRegion, "univ-montpellier"});
        writeRegionConfig({{"univ-montpellier", kSurveyPurpose}});
        keysInit(regionConfig(), "region");
        inst = writeInstitutionConfig("univ-montpellier", "univ-montpellier", 1, exportFile);
        keysInit(inst.config, "univ-montpellier");
        objectTo(inst, exportFile);
    }

private:
    std::unique_ptr<PostgresForTest> postgres_;
};

TEST_F(MigrateStoreTest, TheWholeStateArrivesByteForByteAndTheGatewayCarriesOnOnPostgresql) {
    Institution inst;
    auto region = makeInstallation(inst);
    ASSERT_TRUE(region);
    ASSERT_FALSE(HasFailure());
    const std::string rootBefore = verifiedRoot(inst, "verify-sqlite");
    const std::string target = postgres().freshDatabase();

    const auto moved = migrate({"--config", inst.config.string(), "--to", "postgresql:" + target}, "migrate");
    ASSERT_EQ(moved.exitCode, 0) << moved;
    EXPECT_NE(moved.out.find("source ledger: intact"), std::string::npos) << moved;
    EXPECT_NE(moved.out.find("target ledger: intact"), std::string::npos) << moved;
    EXPECT_NE(moved.out.find("root " + rootBefore), std::string::npos) << moved;
    EXPECT_NE(
        moved.out.find("next: set [storage] database = postgresql:" + target + " in " + inst.config.string()),
        std::string::npos)
        << moved;

    // Every row of every table, every value as stored.
    const auto source = sqliteState(inst, target);
    EXPECT_EQ(postgresState(target), source);
    EXPECT_EQ(source.at("outbox").size(), 2u);
    EXPECT_GT(source.at("job_cursor").size(), 4000u);
    EXPECT_EQ(scalar(target, "SELECT COUNT(*) FROM job_cursor WHERE job = 'survey-contact'"), "30");
    EXPECT_EQ(source.at("objections").size(), 1u);
    EXPECT_EQ(source.at("job_runs").size(), 1u);
    EXPECT_EQ(source.at("extraction_requests").size(), 1u);
    EXPECT_GE(source.at("ledger_checkpoints").size(), 3u);
    EXPECT_GE(source.at("peer_checkpoints").size(), 1u);
    EXPECT_NE(scalar(target, "SELECT COUNT(*) FROM job_cursor WHERE record_key < 0"), "0")
        << "a cursor key with its top bit set keeps its bit pattern";
    EXPECT_EQ(scalar(target, "SELECT COUNT(*) FROM outbox WHERE status = 'receipted' AND receipt <> ''"),
              "2");
    EXPECT_EQ(scalar(target, "SELECT entry IS NULL FROM ledger_entries WHERE idx = 2"), "t")
        << "a blanked entry stays blanked";

    // The gateway on PostgreSQL: the same ledger, and it carries on where it was.
    std::ofstream(inst.config, std::ios::app) << "\n[storage]\ndatabase = postgresql:" << target << "\n";
    EXPECT_EQ(verifiedRoot(inst, "verify-postgresql"), rootBefore);
    const auto status = passerelle({"status", "--config", inst.config.string()}, "status");
    EXPECT_EQ(status.exitCode, 0) << status;
    const auto unchanged = passerelle(
        {"transfer", "--config", inst.config.string(), "--job", "survey-contact", "--json"}, "unchanged");
    EXPECT_EQ(unchanged.exitCode, 0) << unchanged;
    // 29 unchanged and the objector left out. (Poco 1.11's NumberParser rounds 64-bit values
    // below -2^53 through a double: a cursor read back from PostgreSQL as Int64 no longer
    // matches, and the records are sent again.)
    EXPECT_EQ(parseJson(unchanged.out)->getValue<int>("unchanged"), 29)
        << "the incremental cursor came along";
    const int resent = parseJson(unchanged.out)->getValue<int>("sealed");
    EXPECT_EQ(resent, 0);
    const auto again =
        passerelle({"transfer", "--config", inst.config.string(), "--job", "statistics", "--json"}, "again");
    EXPECT_EQ(again.exitCode, 0) << again;
    EXPECT_EQ(parseJson(again.out)->getValue<int>("sealed"), 30);
    EXPECT_EQ(scalar(target, "SELECT COUNT(*) FROM outbox WHERE status = 'receipted'"),
              std::to_string(2 + (resent > 0 ? 1 : 0) + 1));
    EXPECT_GT(std::stoul(scalar(target, "SELECT COUNT(*) FROM ledger_checkpoints")),
              source.at("ledger_checkpoints").size())
        << "new checkpoints follow the copied ones";
    EXPECT_NE(verifiedRoot(inst, "verify-after-transfer"), rootBefore);
}

// A large incremental job's cursor: 100,000 rows of 4 columns. Written as one
// statement per chunk (8,000 parameters) the move failed with libpq 15.18 ("lost
// synchronization with server"); each statement now carries at most 1,000.
TEST_F(MigrateStoreTest, AHundredThousandCursorRowsMoveWithinSeconds) {
    Institution inst;
    makeQuietInstallation(inst);
    ASSERT_FALSE(HasFailure());
    constexpr int kCursorRows = 100'000;
    sqliteExec(inst.stateDir() / "state.db",
               "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                   std::to_string(kCursorRows) +
                   ")"
                   " INSERT INTO job_cursor (job, record_key, digest, batch_id)"
                   " SELECT 'large-job', i * 2654435761 - 4611686018427387904, random(),"
                   " 'feedfacefeedfacefeedfacefeedface' FROM n");
    ASSERT_FALSE(HasFailure());
    const std::string target = postgres().freshDatabase();

    const auto started = std::chrono::steady_clock::now();
    const auto moved = migrate({"--config", inst.config.string(), "--to", "postgresql:" + target}, "large");
    const auto took = std::chrono::steady_clock::now() - started;
    ASSERT_EQ(moved.exitCode, 0) << moved;
    EXPECT_EQ(moved.err.find("lost synchronization"), std::string::npos) << moved;
    EXPECT_NE(moved.out.find("target ledger: intact"), std::string::npos) << moved;
    EXPECT_EQ(scalar(target, "SELECT COUNT(*) FROM job_cursor WHERE job = 'large-job'"),
              std::to_string(kCursorRows));
    const std::string columns = columnsOf(target, "job_cursor");
    EXPECT_TRUE(postgresRows(target, "job_cursor", columns) ==
                sqliteRows(inst.stateDir() / "state.db", "job_cursor", columns))
        << "every cursor row arrives as stored";
    EXPECT_LT(took, 30s) << "the move of " << kCursorRows << " cursor rows took "
                         << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

TEST_F(MigrateStoreTest, ANonEmptyTargetIsRefusedAndLeftUntouched) {
    Institution inst;
    makeQuietInstallation(inst);
    ASSERT_FALSE(HasFailure());
    const std::string target = postgres().freshDatabase();
    const auto first = migrate({"--config", inst.config.string(), "--to", "postgresql:" + target}, "first");
    ASSERT_EQ(first.exitCode, 0) << first;
    const auto before = postgresState(target);

    const auto second = migrate({"--config", inst.config.string(), "--to", "postgresql:" + target}, "second");
    EXPECT_EQ(second.exitCode, 1) << second;
    EXPECT_NE(second.err.find("postgresql:" + target + " is not empty"), std::string::npos) << second;
    EXPECT_NE(second.err.find("table objections holds 1 row(s)"), std::string::npos) << second;
    EXPECT_NE(second.err.find("table ledger_entries holds"), std::string::npos) << second;
    EXPECT_NE(second.err.find("Nothing was written"), std::string::npos) << second;
    EXPECT_EQ(postgresState(target), before);
}

TEST_F(MigrateStoreTest, ASourceLedgerThatDoesNotVerifyIsRefusedAndNothingIsWritten) {
    Institution inst;
    makeQuietInstallation(inst);
    ASSERT_FALSE(HasFailure());
    sqliteExec(inst.stateDir() / "ledger.db",
               "DROP TRIGGER ledger_entries_no_update;"
               "UPDATE ledger_entries SET leaf_hash = zeroblob(32) WHERE idx = 1");
    const std::string target = postgres().freshDatabase();

    const auto r = migrate({"--config", inst.config.string(), "--to", "postgresql:" + target}, "migrate");
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_NE(r.err.find((inst.stateDir() / "ledger.db").string() + " does not verify: entry 1"),
              std::string::npos)
        << r;
    EXPECT_NE(r.err.find("nothing was copied"), std::string::npos) << r;
    EXPECT_EQ(scalar(target,
                     "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()"),
              "0")
        << "not even the schema is made";
}

TEST_F(MigrateStoreTest, ToAloneCreatesEveryPartsSchemaWithTheGrantsAndCanRunAgain) {
    // The group role is cluster-wide and left for the suite (other tests may hold grants to it).
    try {
        PostgresForTest::execute(postgres().server(), "CREATE ROLE passerelle_gateway NOLOGIN");
    } catch (const std::runtime_error& e) {
        ASSERT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
    }
    const std::string target = postgres().freshDatabase();
    const auto r = migrate({"--to", "postgresql:" + target}, "schema");
    ASSERT_EQ(r.exitCode, 0) << r;
    EXPECT_NE(r.out.find("grants to the role passerelle_gateway applied"), std::string::npos) << r;

    const auto parts = PostgresForTest::query(
        target, "SELECT part, MAX(version) FROM schema_migrations GROUP BY part ORDER BY part");
    ASSERT_EQ(parts.size(), 3u);
    std::vector<std::string> names;
    for (const auto& row : parts) {
        names.push_back(*row[0]);
        EXPECT_GE(std::stoi(*row[1]), 1);
        EXPECT_NE(r.out.find(*row[0] + " version " + *row[1]), std::string::npos) << r;
    }
    EXPECT_EQ(names, (std::vector<std::string>{"extraction_requests", "ledger", "state"}));
    for (const auto& [table, file] : kTables) {
        EXPECT_EQ(scalar(target, "SELECT COUNT(*) FROM " + table +
                                     (table == "ledger_tree" ? " WHERE size <> 0" : "")),
                  "0")
            << table;
    }
    EXPECT_EQ(scalar(target, "SELECT has_table_privilege('passerelle_gateway', 'outbox', 'DELETE')"), "t");
    EXPECT_EQ(scalar(target, "SELECT has_table_privilege('passerelle_gateway', 'ledger_entries', 'INSERT')"),
              "t");
    EXPECT_EQ(scalar(target, "SELECT has_table_privilege('passerelle_gateway', 'ledger_entries', 'DELETE')"),
              "f");

    const auto again = migrate({"--to", "postgresql:" + target}, "schema-again");
    EXPECT_EQ(again.exitCode, 0) << again;
    EXPECT_EQ(scalar(target, "SELECT COUNT(*) FROM schema_migrations"), "3");
}

TEST_F(MigrateStoreTest, AWrongDatabaseIsNamedAndItsPasswordNeverShown) {
    const std::string password = "it's\\a-s3cret";
    const std::string wrong = "wr0ng-s3cret-pw";
    const std::string role = postgres().passwordRole(password);
    const std::string database = postgres().freshDatabase();
    PostgresForTest::execute(database, "GRANT CREATE ON SCHEMA public TO " + role);
    const std::string conninfo = PostgresForTest::withKey(database, "user", role);
    writeFile(root() / "wrong.password", wrong + "\n");
    writeFile(root() / "right.password", password + "\n");
    // A password file others may read is refused before it is read, naming it and the fix.
    fs::permissions(root() / "right.password", fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
    const auto open = migrate(
        {"--to", "postgresql:" + conninfo, "--password-file", (root() / "right.password").string()}, "open");
    EXPECT_EQ(open.exitCode, 1) << open;
    EXPECT_NE(open.err.find("--password-file " + (root() / "right.password").string() +
                            " is readable or writable by group or others (mode 0604); run chmod 600 " +
                            (root() / "right.password").string()),
              std::string::npos)
        << open;
    for (const char* file : {"wrong.password", "right.password"})
        fs::permissions(root() / file, fs::perms::owner_read | fs::perms::owner_write);

    const auto refused = migrate(
        {"--to", "postgresql:" + conninfo, "--password-file", (root() / "wrong.password").string()}, "wrong");
    EXPECT_EQ(refused.exitCode, 1) << refused;
    EXPECT_NE(refused.err.find("database postgresql:" + conninfo + " password=***: cannot open"),
              std::string::npos)
        << refused;
    EXPECT_NE(refused.err.find("password authentication failed"), std::string::npos) << refused;
    const auto inline_ = migrate({"--to", "postgresql:" + conninfo + " password=" + wrong}, "wrong-inline");
    EXPECT_EQ(inline_.exitCode, 1) << inline_;
    for (const auto* r : {&refused, &inline_}) {
        EXPECT_EQ(r->out.find(wrong), std::string::npos) << *r;
        EXPECT_EQ(r->err.find(wrong), std::string::npos) << *r;
    }

    // A password with a space is refused for what it is (the connector would split it), unshown.
    writeFile(root() / "spaced.password", "wr0ng s3cret\n");
    fs::permissions(root() / "spaced.password", fs::perms::owner_read | fs::perms::owner_write);
    const auto spaced =
        migrate({"--to", "postgresql:" + conninfo, "--password-file", (root() / "spaced.password").string()},
                "spaced");
    EXPECT_EQ(spaced.exitCode, 1) << spaced;
    EXPECT_NE(spaced.err.find("the password holds a space"), std::string::npos) << spaced;
    EXPECT_EQ(spaced.err.find("s3cret"), std::string::npos) << spaced;

    // The right password, with a quote and a backslash, gets through.
    const auto accepted = migrate(
        {"--to", "postgresql:" + conninfo, "--password-file", (root() / "right.password").string()}, "right");
    EXPECT_EQ(accepted.exitCode, 0) << accepted;
    EXPECT_EQ(accepted.out.find("s3cret"), std::string::npos) << accepted;
}

}  // namespace
}  // namespace passerelle::integration
