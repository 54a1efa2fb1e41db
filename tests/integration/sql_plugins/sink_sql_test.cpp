// sink.sql against a real SQLite file and the suite's real PostgreSQL: batches
// upserted by (pseudonym, institution, purpose), redelivery idempotent, abort
// invisible, and errors that name the table and column.

#include "common/errors.h"
#include "sql_backend.h"

namespace passerelle::integration {
namespace {

using Record = std::vector<std::string>;

struct Batch {
    std::string id;
    std::vector<std::string> fields;
    std::vector<Record> records;
    std::string sender = "univ-montpellier";
    std::string purpose = "region-survey-contact";
};

const Batch kFirst{
    "b-0001",
    {"pseudonym", "birth_name", "first_names", "email", "exit_date"},
    {{"ps-aaa", "Lefèvre", "Élodie", "elodie.lefevre@example.org", "2024-01-15"},
     {"ps-bbb", "Nguyễn", "Hélène", "", "2024-03-31"},
     {"ps-ccc", "O'Brien'); DROP TABLE survey_participants;--", "Ève", "eve@example.org", "2024-06-30"}}};

class SinkSqlTest : public SqlPluginTest {
protected:
    plugin::Settings settings(plugin::Settings extra = {}) {
        plugin::Settings s = db().connection();
        s.insert(s.end(), extra.begin(), extra.end());
        return s;
    }

    std::unique_ptr<plugin::SinkWriter> openSink(const plugin::Settings& s) {
        return plugin::SinkPlugin::load(PASSERELLE_PLUGIN_DIR, "sink.sql")->open(s);
    }

    static psl_batch_info info(const Batch& b, std::vector<psl_str>& names) {
        names.clear();
        for (const std::string& f : b.fields) names.push_back({f.data(), f.size()});
        return {b.id.c_str(), b.sender.c_str(), b.purpose.c_str(),
                names.data(), names.size(),     b.records.size()};
    }

    static void writeAll(plugin::SinkWriter& sink, const Batch& b) {
        std::vector<psl_str> names;
        sink.beginBatch(info(b, names));
        for (const Record& r : b.records) {
            std::vector<psl_str> cells;
            for (const std::string& v : r) cells.push_back({v.data(), v.size()});
            sink.writeRecord(cells);
        }
    }

    void deliver(const Batch& b, const plugin::Settings& s) {
        auto sink = openSink(s);
        writeAll(*sink, b);
        sink->commitBatch();
    }

    // The message of the PluginError thrown while delivering b, "" when none.
    std::string deliveryFailure(const Batch& b, const plugin::Settings& s) {
        try {
            deliver(b, s);
        } catch (const PluginError& e) {
            return e.what();
        }
        return "";
    }

    std::vector<PgRow> table(const std::string& columns = "*") {
        return db().query("SELECT " + columns +
                          " FROM survey_participants ORDER BY pseudonym, institution, purpose");
    }
};

TEST_P(SinkSqlTest, UpsertsABatchAndARedeliveryLeavesTheTableAsAfterOnce) {
    deliver(kFirst, settings());
    const auto once = table();
    ASSERT_EQ(once.size(), 3u);
    const auto rows =
        table("pseudonym, birth_name, first_names, email, exit_date, institution, purpose, batch_id");
    EXPECT_EQ(rows[0], (PgRow{"ps-aaa", "Lefèvre", "Élodie", "elodie.lefevre@example.org", "2024-01-15",
                              "univ-montpellier", "region-survey-contact", "b-0001"}));
    EXPECT_EQ(rows[1][3], std::nullopt) << "an empty value is stored as NULL";
    EXPECT_EQ(rows[2][1], "O'Brien'); DROP TABLE survey_participants;--")
        << "values are bound, never spliced";

    deliver(kFirst, settings());
    EXPECT_EQ(table(), once) << "a redelivered batch must leave the table as after the first delivery";
}

TEST_P(SinkSqlTest, ALaterBatchUpdatesTheChangedParticipantAndAddsANewFieldsColumn) {
    deliver(kFirst, settings());
    const Batch second{
        "b-0002",
        {"pseudonym", "birth_name", "first_names", "email", "exit_date", "mobile_phone"},
        {{"ps-bbb", "Nguyễn", "Hélène", "helene.n@example.org", "2024-03-31", "+262692000001"}}};
    deliver(second, settings());
    const auto rows = table("pseudonym, email, mobile_phone, batch_id");
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0], (PgRow{"ps-aaa", "elodie.lefevre@example.org", std::nullopt, "b-0001"}));
    EXPECT_EQ(rows[1], (PgRow{"ps-bbb", "helene.n@example.org", "+262692000001", "b-0002"}));
    EXPECT_EQ(rows[2][3], "b-0001");

    // The same pseudonym from another institution is another participant.
    Batch other = second;
    other.id = "b-0003";
    other.sender = "univ-toulouse";
    deliver(other, settings());
    EXPECT_EQ(table().size(), 4u);
}

TEST_P(SinkSqlTest, AnAbortedOrAbandonedBatchLeavesNothingVisible) {
    deliver(kFirst, settings());
    const auto before = table();
    const Batch changes{"b-0009",
                        kFirst.fields,
                        {{"ps-aaa", "Changed", "Changed", "changed@example.org", "2025-01-01"},
                         {"ps-new", "Nouveau", "Noé", "noe@example.org", "2025-01-01"}}};
    {
        auto sink = openSink(settings());
        writeAll(*sink, changes);
        sink->abortBatch();
    }
    EXPECT_EQ(table(), before);
    {
        auto sink = openSink(settings());
        writeAll(*sink, changes);
    }  // closed without commit, as when the gateway stops mid-batch
    EXPECT_EQ(table(), before);
}

TEST_P(SinkSqlTest, WithoutCreateTableAMissingTableOrColumnIsNamed) {
    const plugin::Settings fixed = settings({{"create_table", "false"}});
    const std::string noTable = deliveryFailure(kFirst, fixed);
    EXPECT_NE(noTable.find("table 'survey_participants' does not exist"), std::string::npos) << noTable;

    db().execute(
        "CREATE TABLE survey_participants (pseudonym TEXT, birth_name TEXT, first_names TEXT, "
        "exit_date TEXT, institution TEXT, purpose TEXT, batch_id TEXT, received_at TEXT, "
        "PRIMARY KEY (pseudonym, institution, purpose))");
    const std::string noColumn = deliveryFailure(kFirst, fixed);
    EXPECT_NE(noColumn.find("table 'survey_participants' has no column 'email'"), std::string::npos)
        << noColumn;
    EXPECT_NE(noColumn.find("create_table"), std::string::npos) << "says what to do: " << noColumn;
    EXPECT_TRUE(table().empty());

    db().execute("ALTER TABLE survey_participants ADD COLUMN email TEXT");
    EXPECT_EQ(deliveryFailure(kFirst, fixed), "");
    EXPECT_EQ(table().size(), 3u);
}

TEST_P(SinkSqlTest, ABatchWithoutPseudonymCannotBeUpsertedAndSaysWhy) {
    const Batch anonymous{"b-0100", {"birth_name", "exit_date"}, {{"Lefèvre", "2024-01-15"}}};
    const std::string message = deliveryFailure(anonymous, settings());
    EXPECT_NE(message.find("no 'pseudonym' field"), std::string::npos) << message;
    EXPECT_NE(message.find("b-0100"), std::string::npos) << "names the batch: " << message;
    EXPECT_EQ(message.find("Lefèvre"), std::string::npos);
}

TEST_P(SinkSqlTest, ADatabaseErrorNamesTheRecordAndWithholdsTheValue) {
    if (!isPostgres()) GTEST_SKIP() << "SQLite accepts any text in any column";
    db().execute(
        "CREATE TABLE survey_participants (pseudonym TEXT, birth_name TEXT, first_names TEXT, "
        "email TEXT, exit_date DATE, institution TEXT, purpose TEXT, batch_id TEXT, received_at TEXT, "
        "PRIMARY KEY (pseudonym, institution, purpose))");
    Batch bad = kFirst;
    bad.records[1][4] = "Hélène-31-mars";
    const std::string message = deliveryFailure(bad, settings());
    EXPECT_NE(message.find("record 2 of batch b-0001"), std::string::npos) << message;
    EXPECT_NE(message.find("invalid input syntax for type date"), std::string::npos) << message;
    EXPECT_EQ(message.find("Hélène"), std::string::npos) << "the message quotes the value: " << message;
    EXPECT_TRUE(table().empty());
}

TEST_P(SinkSqlTest, BadSettingsAreNamed) {
    EXPECT_NE(deliveryFailure(kFirst, settings({{"table", "survey; DROP"}})).find("setting 'table'"),
              std::string::npos);
    EXPECT_NE(deliveryFailure(kFirst, settings({{"create_table", "maybe"}})).find("setting 'create_table'"),
              std::string::npos);
    EXPECT_NE(deliveryFailure(kFirst, settings({{"path", "x"}})).find("unknown setting 'path'"),
              std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Connectors, SinkSqlTest, ::testing::Values("sqlite", "postgresql"), connectorName);

}  // namespace
}  // namespace passerelle::integration
