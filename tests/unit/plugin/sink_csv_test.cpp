// sink.csv, loaded from the built plugin, writing into a temporary folder.

#include <sys/stat.h>

#include "plugin_test_support.h"

namespace passerelle::plugin::test {
namespace {

psl_str str(std::string_view s) { return {s.data(), s.size()}; }

struct Batch {
    std::vector<psl_str> fields = {str("name"), str("formula"), str("note")};
    psl_batch_info info{};
    explicit Batch(const char* id, std::uint64_t records = 0) {
        info.batch_id = id;
        info.sender = "inst-42";
        info.purpose = "apprenticeship-stats";
        info.fields = fields.data();
        info.field_count = fields.size();
        info.record_count = records;
    }
};

std::unique_ptr<SinkWriter> openSink(const std::filesystem::path& directory) {
    return SinkPlugin::load(pluginDir(), "sink.csv")->open({{"directory", directory.string()}});
}

void writeTwoRecords(SinkWriter& sink) {
    const psl_str first[] = {str("Trainee A"), str("=SUM(A1)"), str("say \"hi\", ok")};
    const psl_str second[] = {str("Trainee B"), str("-3"), str("multi\nline")};
    sink.writeRecord(first);
    sink.writeRecord(second);
}

unsigned modeOf(const std::filesystem::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
}

const char* const kExpected =
    "name,formula,note\r\n"
    "Trainee A,'=SUM(A1),\"say \"\"hi\"\", ok\"\r\n"
    "Trainee B,'-3,\"multi\nline\"\r\n";

TEST(SinkCsv, WritesAPrivateFileNeutralisesFormulasAndIndexesTheBatch) {
    TempDir tmp;
    const auto out = tmp / "region" / "inbox";
    auto sink = openSink(out);
    EXPECT_EQ(modeOf(out), 0700u);
    Batch batch("b-001", 2);
    sink->beginBatch(batch.info);
    writeTwoRecords(*sink);
    EXPECT_FALSE(std::filesystem::exists(out / "inst-42_b-001.csv"));  // invisible before commit
    sink->commitBatch();

    const auto file = out / "inst-42_b-001.csv";
    ASSERT_TRUE(std::filesystem::exists(file));
    EXPECT_EQ(modeOf(file), 0600u);
    EXPECT_EQ(readFile(file), kExpected);
    EXPECT_FALSE(std::filesystem::exists(out / ".b-001.csv.tmp"));
    EXPECT_EQ(readFile(out / "index.csv"),
              "batch_id,sender,purpose,record_count,file\r\n"
              "b-001,inst-42,apprenticeship-stats,2,inst-42_b-001.csv\r\n");
}

TEST(SinkCsv, RedeliveryReplacesNothingAndSucceeds) {
    TempDir tmp;
    auto sink = openSink(tmp.path());
    Batch batch("b-002");
    sink->beginBatch(batch.info);
    writeTwoRecords(*sink);
    sink->commitBatch();

    sink->beginBatch(batch.info);
    const psl_str other[] = {str("Trainee Z"), str("x"), str("y")};
    sink->writeRecord(other);
    EXPECT_NO_THROW(sink->commitBatch());
    EXPECT_EQ(readFile(tmp / "inst-42_b-002.csv"), kExpected);
    EXPECT_FALSE(std::filesystem::exists(tmp / ".b-002.csv.tmp"));
    const std::string index = readFile(tmp / "index.csv");
    EXPECT_EQ(index.find("b-002,"), index.rfind("b-002,")) << "one index line per batch";
}

TEST(SinkCsv, RedeliveryAddsAnIndexLineLostInACrash) {
    TempDir tmp;
    writeFile(tmp / "inst-42_b-003.csv", kExpected);  // renamed, then the process died
    auto sink = openSink(tmp.path());
    Batch batch("b-003");
    sink->beginBatch(batch.info);
    writeTwoRecords(*sink);
    sink->commitBatch();
    EXPECT_NE(readFile(tmp / "index.csv").find("b-003,inst-42,"), std::string::npos);
}

TEST(SinkCsv, AbortAndDestructionLeaveNoFile) {
    TempDir tmp;
    {
        auto sink = openSink(tmp.path());
        Batch batch("b-004");
        sink->beginBatch(batch.info);
        writeTwoRecords(*sink);
        sink->abortBatch();
        Batch another("b-005");
        sink->beginBatch(another.info);
        writeTwoRecords(*sink);
    }  // destroyed mid-batch
    EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));
}

TEST(SinkCsv, RefusesIdsThatCouldEscapeTheFolder) {
    TempDir tmp;
    auto sink = openSink(tmp.path());
    for (const char* id : {"../evil", "a/b", "", "..", "x y"}) {
        Batch batch(id);
        EXPECT_THROW(sink->beginBatch(batch.info), PluginError) << id;
    }
    Batch batch("ok-1");
    batch.info.sender = "../../etc";
    EXPECT_THROW(sink->beginBatch(batch.info), PluginError);
}

TEST(SinkCsv, ReportsMisuseWithThePluginsMessage) {
    TempDir tmp;
    EXPECT_THROW(SinkPlugin::load(pluginDir(), "sink.csv")->open({}), PluginError);
    auto sink = openSink(tmp.path());
    EXPECT_THROW(sink->commitBatch(), PluginError);
    Batch batch("b-006", 5);
    sink->beginBatch(batch.info);
    const psl_str tooFew[] = {str("only one")};
    try {
        sink->writeRecord(tooFew);
        FAIL();
    } catch (const PluginError& e) {
        EXPECT_NE(std::string(e.what()).find("has 1 values, the batch has 3 fields"), std::string::npos)
            << e.what();
        EXPECT_EQ(std::string(e.what()).find("only one"), std::string::npos) << "no data value in messages";
    }
    writeTwoRecords(*sink);
    EXPECT_THROW(sink->commitBatch(), PluginError);  // 5 announced, 2 written
    sink->abortBatch();
    EXPECT_FALSE(std::filesystem::exists(tmp / "inst-42_b-006.csv"));
}

TEST(SinkCsv, WhatTheSinkWritesTheSourceReadsBack) {
    TempDir tmp;
    auto sink = openSink(tmp.path());
    Batch batch("b-007");
    sink->beginBatch(batch.info);
    writeTwoRecords(*sink);
    sink->commitBatch();
    const Drained d = drain({{"path", (tmp / "inst-42_b-007.csv").string()}});
    ASSERT_TRUE(d.errors.empty()) << d.errors[0].message;
    EXPECT_EQ(d.columns, (Row{"name", "formula", "note"}));
    EXPECT_EQ(d.rows, (std::vector<Row>{{"Trainee A", "'=SUM(A1)", "say \"hi\", ok"},
                                        {"Trainee B", "'-3", "multi\nline"}}));
}

}  // namespace
TEST(SinkCsv, KeepsE164PhoneNumbersButNeutralisesOtherPlusCells) {
    TempDir tmp;
    auto sink = openSink(tmp.path());
    Batch batch("b-e164", 1);
    sink->beginBatch(batch.info);
    const psl_str record[] = {str("+33612345678"), str("+1+cmd|' /C calc'!A0"), str("+33 6 12")};
    sink->writeRecord(record);
    sink->commitBatch();
    EXPECT_EQ(readFile(tmp / "inst-42_b-e164.csv"),
              "name,formula,note\r\n"
              "+33612345678,'+1+cmd|' /C calc'!A0,'+33 6 12\r\n");
}

}  // namespace passerelle::plugin::test
