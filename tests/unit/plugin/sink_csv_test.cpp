// sink.csv, loaded from the built plugin, writing into a temporary folder.

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>

#include "plugin_test_support.h"
#include "rfc4180_reader.h"

namespace passerelle::plugin::test {
namespace {

psl_str str(std::string_view s) { return {s.data(), s.size()}; }

struct Batch {
    std::vector<psl_str> fields = {str("name"), str("formula"), str("note")};
    psl_batch_info info{};
    explicit Batch(const char* id, std::uint64_t records = 0, std::vector<psl_str> names = {}) {
        if (!names.empty()) fields = std::move(names);
        info.batch_id = id;
        info.sender = "inst-42";
        info.purpose = "apprenticeship-stats";
        info.fields = fields.data();
        info.field_count = fields.size();
        info.record_count = records;
    }
};

std::unique_ptr<SinkWriter> openSink(const std::filesystem::path& directory, Settings extra = {}) {
    extra.insert(extra.begin(), {"directory", directory.string()});
    return SinkPlugin::load(pluginDir(), "sink.csv")->open(extra);
}

std::string openSinkError(const Settings& settings) {
    try {
        SinkPlugin::load(pluginDir(), "sink.csv")->open(settings);
    } catch (const PluginError& e) {
        return e.what();
    }
    return "(opened)";
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

TEST(SinkCsv, NeutralisesEveryPlusCellPhoneNumbersIncluded) {
    TempDir tmp;
    auto sink = openSink(tmp.path());
    Batch batch("b-e164", 1);
    sink->beginBatch(batch.info);
    const psl_str record[] = {str("+33612345678"), str("+1+cmd|' /C calc'!A0"), str("+33 6 12")};
    sink->writeRecord(record);
    sink->commitBatch();
    EXPECT_EQ(readFile(tmp / "inst-42_b-e164.csv"),
              "name,formula,note\r\n"
              "'+33612345678,'+1+cmd|' /C calc'!A0,'+33 6 12\r\n");
}

// ---- layout = participants: the survey tool's participant-import file ----

std::vector<psl_str> surveyFields() {
    return {str("birth_name"),      str("usage_name"),   str("first_names"), str("email"),    str("mobile_phone"),
            str("institution_uai"), str("course_title"), str("exit_date"),   str("pseudonym")};
}

void writeTwoTrainees(SinkWriter& sink) {
    const psl_str withUsageName[] = {str("Martin"),       str("Durand"),
                                     str("Alice Marie"),  str("alice.durand@example.org"),
                                     str("+33612345678"), str("0311384L"),
                                     str("Licence pro \"R\xC3\xA9seaux\", alternance"),
                                     str("2024-06-30"),   str("ps-1a2b")};
    const psl_str withoutUsageName[] = {str("Bernard"),   str(""),         str("Bob"),
                                        str("bob.bernard@example.org"), str(""), str("0311384L"),
                                        str("DAEU A"),    str("2024-07-01"), str("ps-3c4d")};
    sink.writeRecord(withUsageName);
    sink.writeRecord(withoutUsageName);
}

const char* const kParticipants =
    "firstname,lastname,email,mobile_phone,institution_uai,course_title,exit_date,pseudonym,institution\r\n"
    "Alice Marie,Durand,alice.durand@example.org,'+33612345678,0311384L,"
    "\"Licence pro \"\"R\xC3\xA9seaux\"\", alternance\",2024-06-30,ps-1a2b,inst-42\r\n"
    "Bob,Bernard,bob.bernard@example.org,,0311384L,DAEU A,2024-07-01,ps-3c4d,inst-42\r\n";

TEST(SinkCsvParticipants, AutoWritesTheParticipantFileWhenTheBatchCarriesAnEmail) {
    for (const char* layout : {"auto", "participants"}) {
        TempDir tmp;
        auto sink = openSink(tmp.path(), {{"layout", layout}});
        Batch batch("p-001", 2, surveyFields());
        sink->beginBatch(batch.info);
        writeTwoTrainees(*sink);
        sink->commitBatch();
        EXPECT_EQ(readFile(tmp / "inst-42_p-001.csv"), kParticipants) << layout;
    }
}

TEST(SinkCsvParticipants, AnyFieldOrderAndMissingNameFields) {
    TempDir tmp;
    auto sink = openSink(tmp.path());
    Batch batch("p-002", 1, {str("pseudonym"), str("email"), str("exit_date"), str("birth_name")});
    sink->beginBatch(batch.info);
    const psl_str record[] = {str("ps-9"), str("c.trainee@example.org"), str("2024-01-31"), str("Carre")};
    sink->writeRecord(record);
    sink->commitBatch();
    EXPECT_EQ(readFile(tmp / "inst-42_p-002.csv"),
              "firstname,lastname,email,pseudonym,exit_date,institution\r\n"
              ",Carre,c.trainee@example.org,ps-9,2024-01-31,inst-42\r\n");
}

TEST(SinkCsvParticipants, FieldsLayoutAndAutoWithoutEmailKeepTheBatchsFields) {
    TempDir tmp;
    auto fields = openSink(tmp / "fields", {{"layout", "fields"}});
    Batch survey("p-003", 2, surveyFields());
    fields->beginBatch(survey.info);
    writeTwoTrainees(*fields);
    fields->commitBatch();
    const CsvTable asSent = readRfc4180(readFile(tmp / "fields" / "inst-42_p-003.csv"));
    ASSERT_EQ(asSent.size(), 3u);
    EXPECT_EQ(asSent[0], (Row{"birth_name", "usage_name", "first_names", "email", "mobile_phone", "institution_uai",
                              "course_title", "exit_date", "pseudonym"}));
    EXPECT_EQ(asSent[2], (Row{"Bernard", "", "Bob", "bob.bernard@example.org", "", "0311384L", "DAEU A",
                              "2024-07-01", "ps-3c4d"}));

    auto autoLayout = openSink(tmp / "auto");
    Batch outcome("p-004", 1, {str("pseudonym"), str("exit_date"), str("insertion_status")});
    autoLayout->beginBatch(outcome.info);
    const psl_str record[] = {str("ps-5"), str("2024-03-31"), str("EMPLOYED_PERMANENT")};
    autoLayout->writeRecord(record);
    autoLayout->commitBatch();
    EXPECT_EQ(readFile(tmp / "auto" / "inst-42_p-004.csv"),
              "pseudonym,exit_date,insertion_status\r\nps-5,2024-03-31,EMPLOYED_PERMANENT\r\n");
}

TEST(SinkCsvParticipants, ParticipantsWithoutAnEmailFieldIsRefusedNamingTheSetting) {
    TempDir tmp;
    auto sink = openSink(tmp.path(), {{"layout", "participants"}});
    Batch outcome("p-005", 0, {str("pseudonym"), str("exit_date")});
    try {
        sink->beginBatch(outcome.info);
        FAIL() << "a participant file without email";
    } catch (const PluginError& e) {
        EXPECT_NE(std::string(e.what()).find("setting 'layout' is participants but the batch has no email field"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));
    EXPECT_NE(openSinkError({{"directory", tmp.path().string()}, {"layout", "limesurvey"}})
                  .find("setting 'layout' must be auto, participants or fields"),
              std::string::npos);
    EXPECT_NE(openSinkError({{"directory", tmp.path().string()}, {"layuot", "auto"}}).find("'layuot'"),
              std::string::npos);
}

// What a spreadsheet would run: every cell of every layout, including the ones
// the participant layout moves (lastname from birth_name) and the institution.
TEST(SinkCsvParticipants, CellsStartingLikeAFormulaAreTextInBothLayoutsAndEveryDelimiter) {
    const std::string dangerous = "=+-@\t\r";
    for (const char* layout : {"participants", "fields"}) {
        for (const char* delimiter : {",", ";", "tab"}) {
            TempDir tmp;
            auto sink = openSink(tmp.path(), {{"layout", layout}, {"delimiter", delimiter}});
            Batch batch("p-006", dangerous.size(), surveyFields());
            batch.info.sender = "-inst-7";  // a party id may start with '-': it fills a column too
            sink->beginBatch(batch.info);
            std::vector<std::string> values;
            for (const char c : dangerous) {
                values.assign(batch.fields.size(), std::string(1, c) + "cmd|' /C calc'!A0,\"x\"");
                values[1].clear();  // no usage_name: lastname comes from birth_name
                std::vector<psl_str> record;
                for (const std::string& v : values) record.push_back(str(v));
                sink->writeRecord(record);
            }
            sink->commitBatch();

            const char sep = std::string_view(delimiter) == "tab" ? '\t' : delimiter[0];
            const CsvTable table = readRfc4180(readFile(tmp / "-inst-7_p-006.csv"), sep);
            ASSERT_EQ(table.size(), 1 + dangerous.size()) << layout << " " << delimiter;
            for (std::size_t r = 1; r < table.size(); ++r) {
                const char c = dangerous[r - 1];
                for (const std::string& cell : table[r]) {
                    EXPECT_FALSE(startsLikeAFormula(cell)) << layout << " " << delimiter << " row " << r;
                    if (!cell.empty() && cell != "'-inst-7") {
                        EXPECT_EQ(cell, "'" + std::string(1, c) + "cmd|' /C calc'!A0,\"x\"") << layout;
                    }
                }
                if (std::string_view(layout) == "participants") {
                    ASSERT_EQ(table[r].size(), 9u);
                    EXPECT_EQ(table[r][1].substr(0, 2), "'" + std::string(1, c)) << "lastname from birth_name";
                    EXPECT_EQ(table[r][8], "'-inst-7");
                }
            }
        }
    }
}

TEST(SinkCsvParticipants, PrivateFileThatAppearsOnlyAtCommit) {
    TempDir tmp;
    const mode_t umask = ::umask(0);  // the file's mode must not depend on the caller's umask
    auto sink = openSink(tmp / "survey");
    Batch batch("p-007", 2, surveyFields());
    sink->beginBatch(batch.info);
    writeTwoTrainees(*sink);
    EXPECT_FALSE(std::filesystem::exists(tmp / "survey" / "inst-42_p-007.csv"));
    EXPECT_FALSE(std::filesystem::exists(tmp / "survey" / "index.csv"));
    sink->commitBatch();
    ::umask(umask);
    EXPECT_EQ(modeOf(tmp / "survey"), 0700u);
    EXPECT_EQ(modeOf(tmp / "survey" / "inst-42_p-007.csv"), 0600u);
    EXPECT_EQ(modeOf(tmp / "survey" / "index.csv"), 0600u);

    Batch aborted("p-008", 2, surveyFields());
    sink->beginBatch(aborted.info);
    writeTwoTrainees(*sink);
    sink->abortBatch();
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(tmp / "survey"))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"index.csv", "inst-42_p-007.csv"}));
    EXPECT_EQ(readFile(tmp / "survey" / "index.csv").find("p-008"), std::string::npos);
}

TEST(SinkCsvParticipants, TheSameBatchCommittedTwiceGivesOneFileAndOneIndexLine) {
    TempDir tmp;
    for (int delivery = 0; delivery < 2; ++delivery) {
        auto sink = openSink(tmp.path());  // the gateway opens the sink once per delivery
        Batch batch("p-009", 2, surveyFields());
        sink->beginBatch(batch.info);
        writeTwoTrainees(*sink);
        sink->commitBatch();
    }
    EXPECT_EQ(readFile(tmp / "inst-42_p-009.csv"), kParticipants);
    EXPECT_EQ(readFile(tmp / "index.csv"),
              "batch_id,sender,purpose,record_count,file\r\n"
              "p-009,inst-42,apprenticeship-stats,2,inst-42_p-009.csv\r\n");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(tmp.path()), std::filesystem::directory_iterator()),
              2);
}

TEST(SinkCsvParticipants, TheParticipantFileWithABomReadsBackThroughSourceCsv) {
    TempDir tmp;
    auto sink = openSink(tmp.path(), {{"bom", "true"}});
    Batch batch("p-010", 2, surveyFields());
    sink->beginBatch(batch.info);
    writeTwoTrainees(*sink);
    sink->commitBatch();
    const std::string bytes = readFile(tmp / "inst-42_p-010.csv");
    EXPECT_EQ(bytes, std::string("\xEF\xBB\xBF") + kParticipants);
    const Drained d = drain({{"path", (tmp / "inst-42_p-010.csv").string()}});
    ASSERT_TRUE(d.errors.empty()) << d.errors[0].message;
    EXPECT_EQ(d.columns, readRfc4180(bytes)[0]);
    ASSERT_EQ(d.rows.size(), 2u);
    EXPECT_EQ(d.rows[0][5], "Licence pro \"R\xC3\xA9seaux\", alternance");
}

// ---- a folder the sink cannot write to ----

// Runs `body` as an unprivileged user when the tests run as root (root writes
// anywhere); returns what body returned, or "" when privileges cannot be dropped.
std::string withoutPrivileges(const std::function<std::string()>& body) {
    if (::geteuid() != 0) return body();
    int pipeFds[2];
    if (::pipe(pipeFds) != 0) return "";
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(pipeFds[0]);
        std::string result;
        if (::setgid(65534) == 0 && ::setuid(65534) == 0) result = body();
        const ssize_t written = ::write(pipeFds[1], result.data(), result.size());
        ::_exit(written == static_cast<ssize_t>(result.size()) ? 0 : 1);
    }
    ::close(pipeFds[1]);
    std::string result;
    char buffer[512];
    ssize_t n;
    while ((n = ::read(pipeFds[0], buffer, sizeof buffer)) > 0) result.append(buffer, static_cast<std::size_t>(n));
    ::close(pipeFds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    return result;
}

TEST(SinkCsv, AFolderItCannotWriteToIsRefusedAtOpenNamingTheFolder) {
    TempDir tmp;
    std::filesystem::permissions(tmp.path(), std::filesystem::perms(0755));
    const auto locked = tmp / "locked";
    std::filesystem::create_directory(locked);
    std::filesystem::permissions(locked, std::filesystem::perms(0555));
    SinkPlugin::load(pluginDir(), "sink.csv");  // loaded before privileges are dropped

    const std::string existing = withoutPrivileges([&] { return openSinkError({{"directory", locked.string()}}); });
    const std::string missing =
        withoutPrivileges([&] { return openSinkError({{"directory", (locked / "survey").string()}}); });
    std::filesystem::permissions(locked, std::filesystem::perms(0755));
    if (existing.empty()) GTEST_SKIP() << "cannot drop root privileges here";

    EXPECT_NE(existing.find("sink.csv: cannot open the sink: cannot write in folder " + locked.string() +
                            ": Permission denied"),
              std::string::npos)
        << existing;
    EXPECT_NE(missing.find("cannot create folder " + (locked / "survey").string() + ": Permission denied"),
              std::string::npos)
        << missing;
    EXPECT_TRUE(std::filesystem::is_empty(locked));
}

TEST(SinkCsv, AFileWhereTheFolderShouldBeIsRefusedNamingIt) {
    TempDir tmp;
    writeFile(tmp / "survey", "not a folder");
    const std::string message = openSinkError({{"directory", (tmp / "survey").string()}});
    EXPECT_NE(message.find((tmp / "survey").string() + " exists and is not a folder"), std::string::npos) << message;
}
}  // namespace
}  // namespace passerelle::plugin::test
