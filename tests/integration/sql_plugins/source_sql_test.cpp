// source.sql against a real SQLite file and the suite's real PostgreSQL: what a
// reader of the export sees, how the filter is bound, and what each error says.

#include <fstream>
#include <iostream>

#include "common/errors.h"
#include "sql_backend.h"

// Built with AddressSanitizer (gcc defines the first, clang answers the second).
#if defined(__SANITIZE_ADDRESS__)
#define PASSERELLE_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PASSERELLE_UNDER_ASAN 1
#endif
#endif

namespace passerelle::integration {
namespace {

using plugin::Settings;

struct Read {
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;
};

const char* const kTrainees = R"(
    CREATE TABLE trainees (cod_etu INTEGER PRIMARY KEY, nom TEXT NOT NULL, prenom TEXT, email TEXT,
                           date_sortie DATE);
    INSERT INTO trainees VALUES (1001, 'Lefèvre', 'Élodie', 'elodie.lefevre@example.org', '2024-01-15');
    INSERT INTO trainees VALUES (1002, 'Nguyễn', 'Hélène Noël', NULL, '2024-03-31');
    INSERT INTO trainees VALUES (1003, 'Ósk', NULL, 'osk@example.org', '2024-06-30');
    INSERT INTO trainees VALUES (1004, 'Dupont-Garçon', 'Ève', 'eve.dg@example.org', '2024-09-02');
)";

// PostgreSQL cannot type a parameter only compared with NULL: the query casts it.
const char* const kExitRangeSqlite =
    "SELECT cod_etu FROM trainees\n"
    "WHERE (:exit_from IS NULL OR date_sortie >= :exit_from) -- ':since' in a comment is ignored\n"
    "  AND (:exit_to IS NULL OR date_sortie <= :exit_to) AND nom <> 'a :literal'\n"
    "ORDER BY cod_etu;";
const char* const kExitRangePostgresql =
    "SELECT cod_etu FROM trainees\n"
    "WHERE (:exit_from::date IS NULL OR date_sortie >= :exit_from) /* ':since' here is ignored */\n"
    "  AND (:exit_to::date IS NULL OR date_sortie <= :exit_to) AND nom <> E'a \\' :literal'\n"
    "ORDER BY cod_etu;";

class SourceSqlTest : public SqlPluginTest {
protected:
    Settings settings(const std::string& query) {
        Settings s = db().connection();
        s.emplace_back("query", query);
        return s;
    }

    Read read(const Settings& s, const psl_source_filter* filter = nullptr) {
        auto reader = plugin::SourcePlugin::load(PASSERELLE_PLUGIN_DIR, "source.sql")->open(s, filter);
        Read out;
        for (std::string_view c : reader->columns()) out.columns.emplace_back(c);
        psl_row row{};
        psl_error err{};
        while (reader->next(row, err) == plugin::SourceReader::Step::Row) {
            std::vector<std::string> cells;
            for (std::size_t i = 0; i < row.cell_count; ++i)
                cells.emplace_back(row.cells[i].data, row.cells[i].size);
            out.rows.push_back(std::move(cells));
        }
        return out;
    }

    // The message of the PluginError that opening (and reading) throws, "" when none.
    std::string failure(const Settings& s, const psl_source_filter* filter = nullptr) {
        try {
            read(s, filter);
        } catch (const PluginError& e) {
            return e.what();
        }
        return "";
    }

    std::vector<std::string> ids(const psl_source_filter& filter) {
        std::vector<std::string> out;
        for (const auto& row :
             read(settings(isPostgres() ? kExitRangePostgresql : kExitRangeSqlite), &filter).rows)
            out.push_back(row.at(0));
        return out;
    }
};

TEST_P(SourceSqlTest, ReadsEveryValueAsTextWithAccentsNullsAsEmptyAndIsoDates) {
    db().execute(kTrainees);
    const Read r =
        read(settings("SELECT cod_etu, nom, prenom AS first_names, email, date_sortie FROM trainees "
                      "ORDER BY cod_etu"));
    EXPECT_EQ(r.columns, (std::vector<std::string>{"cod_etu", "nom", "first_names", "email", "date_sortie"}));
    ASSERT_EQ(r.rows.size(), 4u);
    EXPECT_EQ(r.rows[0], (std::vector<std::string>{"1001", "Lefèvre", "Élodie", "elodie.lefevre@example.org",
                                                   "2024-01-15"}));
    EXPECT_EQ(r.rows[1], (std::vector<std::string>{"1002", "Nguyễn", "Hélène Noël", "", "2024-03-31"}));
    EXPECT_EQ(r.rows[2][2], "");
    EXPECT_EQ(r.rows[3][1], "Dupont-Garçon");
}

TEST_P(SourceSqlTest, TheExitRangeFilterIsBoundAndSelectsExactlyTheRowsInside) {
    db().execute(kTrainees);
    EXPECT_EQ(ids({"2024-03-01", "2024-06-30", ""}), (std::vector<std::string>{"1002", "1003"}));
    EXPECT_EQ(ids({"2024-06-30", "", ""}), (std::vector<std::string>{"1003", "1004"}));
    EXPECT_EQ(ids({"", "", ""}), (std::vector<std::string>{"1001", "1002", "1003", "1004"}));
}

TEST_P(SourceSqlTest, AnInjectionInAFilterValueIsOnlyAValue) {
    db().execute(kTrainees);
    const Settings s = settings("SELECT cod_etu FROM trainees WHERE nom = :since OR prenom = :since");
    for (const char* attack : {"x' OR '1'='1", "'; DROP TABLE trainees; --"}) {
        const psl_source_filter filter{"", "", attack};
        EXPECT_TRUE(read(s, &filter).rows.empty()) << "a spliced value would have matched rows";
    }
    const psl_source_filter plain{"", "", "Ève"};
    EXPECT_EQ(read(s, &plain).rows, (std::vector<std::vector<std::string>>{{"1004"}}));
    EXPECT_EQ(db().query("SELECT count(*) FROM trainees").at(0).at(0), "4");
}

TEST_P(SourceSqlTest, ASyntaxErrorIsFatalNamingTheSettingAndTheDatabasesReason) {
    db().execute(kTrainees);
    const std::string message = failure(settings("SELECT nom FORM trainees"));
    EXPECT_NE(message.find("setting 'query'"), std::string::npos) << message;
    EXPECT_NE(message.find("syntax error"), std::string::npos) << message;
    EXPECT_NE(message.find(GetParam()), std::string::npos) << "names the connector: " << message;
}

TEST_P(SourceSqlTest, AnUnknownTableIsFatalNamingIt) {
    db().execute(kTrainees);
    const std::string message = failure(settings("SELECT nom FROM apprenants"));
    EXPECT_NE(message.find("apprenants"), std::string::npos) << message;
}

TEST_P(SourceSqlTest, AnUnknownPlaceholderIsAConfigErrorNamingIt) {
    db().execute(kTrainees);
    const std::string message = failure(settings("SELECT nom FROM trainees WHERE date_sortie >= :exit_date"));
    EXPECT_NE(message.find(":exit_date"), std::string::npos) << message;
    EXPECT_NE(message.find("setting 'query'"), std::string::npos) << message;
    EXPECT_NE(message.find(":exit_from"), std::string::npos) << "says what is allowed: " << message;
}

TEST_P(SourceSqlTest, AQueryFileWorksLikeAQuery) {
    db().execute(kTrainees);
    Settings s = db().connection();
    s.emplace_back("query_file",
                   writeFile("trainees.sql", "SELECT nom FROM trainees WHERE cod_etu = 1003\n").string());
    EXPECT_EQ(read(s).rows, (std::vector<std::vector<std::string>>{{"Ósk"}}));
}

TEST_P(SourceSqlTest, MissingSettingsAreNamed) {
    EXPECT_NE(failure({{"connector", GetParam()}, {"query", "SELECT 1"}}).find("setting 'database'"),
              std::string::npos);
    EXPECT_NE(failure({{"database", db().database()}, {"query", "SELECT 1"}}).find("setting 'connector'"),
              std::string::npos);
    EXPECT_NE(failure(db().connection()).find("setting 'query'"), std::string::npos);
    Settings extra = settings("SELECT 1");
    extra.emplace_back("table", "x");
    EXPECT_NE(failure(extra).find("unknown setting 'table'"), std::string::npos);
}

// Resident memory now (VmRSS), in KiB. Sampled while reading: the kernel's own
// peak (VmHWM) cannot be reset everywhere (clear_refs is not in every sandbox).
std::size_t residentKiB() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
    }
    return 0;
}

TEST_P(SourceSqlTest, Streams200000RowsInBoundedMemory) {
    constexpr int kRows = 200000;
    // ~230 bytes of text a row: about 46 MB if the result were held at once.
    const std::string filler = "'" + std::string(200, 'x') + "'";
    if (isPostgres()) {
        db().execute("CREATE TABLE big AS SELECT g AS id, 'Prénom ' || g AS prenom, " + filler +
                     " AS notes FROM generate_series(1, " + std::to_string(kRows) + ") AS g");
    } else {
        db().execute(
            "CREATE TABLE big (id INTEGER, prenom TEXT, notes TEXT);"
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < " +
            std::to_string(kRows) + ") INSERT INTO big SELECT n, 'Prénom ' || n, " + filler + " FROM g;");
    }
    const auto plugin = plugin::SourcePlugin::load(PASSERELLE_PLUGIN_DIR, "source.sql");
    const std::size_t before = residentKiB();  // opening reads the first chunk: measure from before it
    auto reader = plugin->open(settings("SELECT id, prenom, notes FROM big ORDER BY id"));
    std::size_t peak = std::max(before, residentKiB());
    psl_row row{};
    psl_error err{};
    std::uint64_t count = 0;
    std::uint64_t bytes = 0;
    std::string last;
    while (reader->next(row, err) == plugin::SourceReader::Step::Row) {
        ++count;
        for (std::size_t i = 0; i < row.cell_count; ++i) bytes += row.cells[i].size;
        last.assign(row.cells[0].data, row.cells[0].size);
        EXPECT_EQ(row.line, count);
        if (count % 500 == 0) peak = std::max(peak, residentKiB());
    }
    const std::size_t growth = peak - before;
    RecordProperty("peak_growth_kib", std::to_string(growth));
    EXPECT_EQ(count, static_cast<std::uint64_t>(kRows));
    EXPECT_EQ(last, std::to_string(kRows));
    EXPECT_GT(bytes, 40u * 1000 * 1000)
        << "the data must dwarf the memory bound for the test to mean anything";
#ifdef PASSERELLE_UNDER_ASAN
    // AddressSanitizer keeps freed memory in quarantine (256 MB by default), so the
    // process's resident size says nothing about what the reader holds: the bound is
    // checked by the plain build's run of this test; this one checks the streaming.
    std::cout << "[ memory   ] bound not checked under AddressSanitizer (grew " << growth << " KiB)\n";
#else
    EXPECT_LT(growth, 16u * 1024) << "peak memory grew by " << growth << " KiB while streaming";
#endif
}

INSTANTIATE_TEST_SUITE_P(Connectors, SourceSqlTest, ::testing::Values("sqlite", "postgresql"), connectorName);

// ------------------------------------------------------------ connecting --

class SourceSqlConnectionTest : public PostgresTest {};

TEST_F(SourceSqlConnectionTest, AWrongPasswordIsFatalAndNeverQuotesThePassword) {
    const std::string conninfo = postgres().freshDatabase();
    const std::string role = postgres().passwordRole("Rightful-Pass-7731");
    PostgresForTest::execute(
        conninfo, "CREATE TABLE t (a text); INSERT INTO t VALUES ('ok'); GRANT SELECT ON t TO " + role);
    const std::string dir = ::testing::TempDir();
    const std::string wrongFile = dir + "/wrong-" + role;
    const std::string rightFile = dir + "/right-" + role;
    std::ofstream(wrongFile) << "Wrong-Pass-9902\n";
    std::ofstream(rightFile) << "Rightful-Pass-7731\n";
    ::chmod(wrongFile.c_str(), 0600);
    ::chmod(rightFile.c_str(), 0600);
    const std::string database = PostgresForTest::withKey(conninfo, "user", role);
    auto open = [&](const std::string& passwordFile) -> std::string {
        try {
            auto reader = plugin::SourcePlugin::load(PASSERELLE_PLUGIN_DIR, "source.sql")
                              ->open({{"connector", "postgresql"},
                                      {"database", database},
                                      {"password_file", passwordFile},
                                      {"query", "SELECT a FROM t"}});
            return "";
        } catch (const PluginError& e) {
            return e.what();
        }
    };
    const std::string message = open(wrongFile);
    EXPECT_NE(message.find("password authentication failed"), std::string::npos) << message;
    EXPECT_NE(message.find("cannot connect"), std::string::npos) << message;
    EXPECT_EQ(message.find("Wrong-Pass-9902"), std::string::npos) << "the message quotes the password";
    EXPECT_EQ(message.find("Rightful"), std::string::npos);
    EXPECT_EQ(open(rightFile), "") << "the right password must connect";
    std::remove(wrongFile.c_str());
    std::remove(rightFile.c_str());
}

TEST_F(SourceSqlConnectionTest, APasswordFileOpenToGroupOrOthersIsRefusedBeforeConnecting) {
    const std::string file = ::testing::TempDir() + "/group-readable.password";
    std::ofstream(file) << "Group-Read-Pass-4410\n";
    ::chmod(file.c_str(), 0640);
    std::string message;
    try {
        plugin::SourcePlugin::load(PASSERELLE_PLUGIN_DIR, "source.sql")
            ->open({{"connector", "postgresql"},
                    {"database", postgres().server()},
                    {"password_file", file},
                    {"query", "SELECT 1"}});
    } catch (const PluginError& e) {
        message = e.what();
    }
    std::remove(file.c_str());
    EXPECT_NE(message.find("setting 'password_file'"), std::string::npos) << message;
    EXPECT_NE(message.find("(mode 0640); run chmod 600 " + file), std::string::npos) << message;
    EXPECT_EQ(message.find("Group-Read-Pass"), std::string::npos) << "the message quotes the password";
}

TEST_F(SourceSqlConnectionTest, AnUnknownDatabaseOrAPasswordInTheConninfoIsFatalAndNamed) {
    auto open = [&](const std::string& database) -> std::string {
        try {
            plugin::SourcePlugin::load(PASSERELLE_PLUGIN_DIR, "source.sql")
                ->open({{"connector", "postgresql"}, {"database", database}, {"query", "SELECT 1"}});
            return "";
        } catch (const PluginError& e) {
            return e.what();
        }
    };
    const std::string unknown =
        open(PostgresForTest::withKey(postgres().server(), "dbname", "passerelle_nowhere"));
    EXPECT_NE(unknown.find("passerelle_nowhere"), std::string::npos) << unknown;
    EXPECT_NE(unknown.find("does not exist"), std::string::npos) << unknown;

    const std::string inline_ = open(postgres().server() + " password=Inline-Secret-55");
    EXPECT_NE(inline_.find("password_file"), std::string::npos) << inline_;
    EXPECT_EQ(inline_.find("Inline-Secret-55"), std::string::npos) << "the message quotes the password";
}

TEST(SourceSqlSqliteTest, AMissingFileIsNamedAndNotCreated) {
    const std::string file = ::testing::TempDir() + "/passerelle-no-such.sqlite";
    try {
        plugin::SourcePlugin::load(PASSERELLE_PLUGIN_DIR, "source.sql")
            ->open({{"connector", "sqlite"}, {"database", file}, {"query", "SELECT 1"}});
        FAIL() << "a missing SQLite file must not open";
    } catch (const PluginError& e) {
        EXPECT_NE(std::string(e.what()).find("setting 'database'"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(file));
}

}  // namespace
}  // namespace passerelle::integration
