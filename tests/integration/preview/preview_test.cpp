// passerelle preview, run as the real binary with the real source.csv plugin on
// synthetic exports written by the test: --raw --json gives back the file's
// cells exactly, the record view applies the transfer's mapping, constants,
// value maps and validation, malformed rows are named on stderr, and no key,
// state folder or peer is needed.

#include <Poco/JSON/Array.h>

#include "../support/exchange_fixture.h"

namespace passerelle::integration {
namespace {

using Table = std::vector<std::vector<std::string>>;

constexpr int kExitFailed = 1;
constexpr int kExitConfig = 3;

// The Apogée-like columns of the tests' exports and the job lines mapping them.
const std::string kHeader = "COD_ETU;NOM;PRENOM;DATE_ENTREE;DATE_SORTIE;LIB_FORMATION;SITUATION_6M";
const std::string kMapping =
    "map.local_student_id = COD_ETU\nmap.birth_name = NOM\nmap.first_names = PRENOM\n"
    "map.entry_date = DATE_ENTREE\nmap.exit_date = DATE_SORTIE\nmap.course_title = LIB_FORMATION\n"
    "map.insertion_status = SITUATION_6M\nconst.programme = DAEU\n"
    "values.insertion_status = EMP => EMPLOYED_PERMANENT | REC => JOB_SEEKER_REGISTERED | FOR => "
    "IN_TRAINING\n";

class PreviewTest : public ExchangeTest {
protected:
    // An institution configuration whose keys, TLS files, state folder and
    // peer keys do not exist: preview must not need them.
    fs::path writeConfig(const fs::path& exportFile,
                         const std::string& sourceLines = "source.encoding = utf-8\n",
                         const std::string& jobLines = kMapping) {
        const fs::path config = root() / "institution.ini";
        writeFile(config, "[gateway]\nrole = institution\nparty = univ-test\nuai = 0342321N\nstate_dir = " +
                              stateDir().string() + "\nplugins_dir = " + PASSERELLE_PLUGIN_DIR +
                              "\n\n[tls]\ncertificate = " + (root() / "absent.crt").string() +
                              "\nprivate_key = " + (root() / "absent.key").string() +
                              "\nca = " + (root() / "absent-ca.crt").string() + "\n\n[peer." + kRegion +
                              "]\nurl = https://localhost:9\npublic_keys = " +
                              (root() / "absent.keys").string() + "\n\n" + purposeSections() +
                              "[job.survey]\npurpose = " + kSurveyPurpose + "\nrecipient = " + kRegion +
                              "\nsource = source.csv\nsource.path = " + exportFile.string() + "\n" +
                              sourceLines + jobLines);
        return config;
    }

    fs::path stateDir() const { return root() / "state-never-created"; }

    fs::path writeExport(const std::string& name, const std::string& bytes) {
        const fs::path file = root() / "exports" / name;
        writeFile(file, bytes);
        return file;
    }

    CommandResult preview(const fs::path& config, std::vector<std::string> options) {
        std::vector<std::string> args = {"preview", "--config", config.string(), "--job", "survey"};
        args.insert(args.end(), options.begin(), options.end());
        return passerelle(args, "preview." + std::to_string(++runs_));
    }

    // --raw --json on a CSV file with `sourceLines`: the array of arrays it prints.
    Table rawTable(const fs::path& exportFile, const std::string& sourceLines = "source.encoding = utf-8\n",
                   int expectedExit = 0) {
        const auto r = preview(writeConfig(exportFile, sourceLines), {"--raw", "--json", "--rows", "0"});
        EXPECT_EQ(r.exitCode, expectedExit) << r;
        return parseTable(r.out);
    }

    static Table parseTable(const std::string& json) {
        Table table;
        try {
            const auto rows = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Array::Ptr>();
            for (std::size_t i = 0; i < rows->size(); ++i) {
                const auto cells = rows->getArray(static_cast<unsigned>(i));
                if (!cells) throw Poco::Exception("row " + std::to_string(i) + " is not an array");
                std::vector<std::string> row;
                for (std::size_t j = 0; j < cells->size(); ++j)
                    row.push_back(cells->getElement<std::string>(j));
                table.push_back(std::move(row));
            }
        } catch (const Poco::Exception& e) {
            ADD_FAILURE() << "not a JSON array of arrays of strings (" << e.displayText() << "):\n" << json;
        }
        return table;
    }

    static Poco::JSON::Array::Ptr parseArray(const std::string& json) {
        try {
            return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Array::Ptr>();
        } catch (const Poco::Exception& e) {
            ADD_FAILURE() << "not a JSON array (" << e.displayText() << "):\n" << json;
            return new Poco::JSON::Array;
        }
    }

    int runs_ = 0;
};

// Windows-1252: è E8, é E9, ü FC, € 80 (which ISO-8859-1 would not decode).
const std::string kWindows1252Export =
    kHeader +
    "\r\n"
    "E001;Lef\xE8vre;Zo\xE9;01/09/2023;30/06/2024;\"DAEU \"\"A\"\"\r\nlitt\xE9raire\";EMP\r\n"
    "E002;M\xFCller;J\xE9r\xF4me;15/09/2023;2024-06-28;Capacit\xE9 en droit, 100 \x80;REC\r\n"
    "E003;Martin;Paul;31/02/2023;01/01/2024;DAEU B;FOR\r\n";

TEST_F(PreviewTest, RawJsonGivesTheDecodedUnquotedCellsExactly) {
    const Table table = rawTable(writeExport("apogee-1252.csv", kWindows1252Export),
                                 "source.encoding = windows-1252\nsource.delimiter = ;\n");
    const Table expected = {
        {"COD_ETU", "NOM", "PRENOM", "DATE_ENTREE", "DATE_SORTIE", "LIB_FORMATION", "SITUATION_6M"},
        {"E001", "Lefèvre", "Zoé", "01/09/2023", "30/06/2024", "DAEU \"A\"\r\nlittéraire", "EMP"},
        {"E002", "Müller", "Jérôme", "15/09/2023", "2024-06-28", "Capacité en droit, 100 €", "REC"},
        {"E003", "Martin", "Paul", "31/02/2023", "01/01/2024", "DAEU B", "FOR"},
    };
    EXPECT_EQ(table, expected);
}

TEST_F(PreviewTest, RecordsAreMappedNormalisedAndCheckedAsATransferWould) {
    const fs::path config =
        writeConfig(writeExport("apogee-1252.csv", kWindows1252Export), "source.encoding = windows-1252\n");
    const auto r = preview(config, {"--json"});
    EXPECT_EQ(r.exitCode, kExitFailed) << "a row would be refused: " << r;
    const auto rows = parseArray(r.out);
    ASSERT_EQ(rows->size(), 3u) << r.out;

    const auto first = rows->getObject(0);
    EXPECT_EQ(first->getValue<int>("line"), 2);
    const auto fields = first->getObject("fields");
    EXPECT_EQ(fields->getValue<std::string>("entry_date"), "2023-09-01");
    EXPECT_EQ(fields->getValue<std::string>("exit_date"), "2024-06-30");
    EXPECT_EQ(fields->getValue<std::string>("birth_name"), "Lefèvre");
    EXPECT_EQ(fields->getValue<std::string>("course_title"), "DAEU \"A\" littéraire")
        << "line break collapsed";
    EXPECT_EQ(fields->getValue<std::string>("insertion_status"), "EMPLOYED_PERMANENT") << "value map";
    EXPECT_EQ(fields->getValue<std::string>("programme"), "DAEU") << "constant";
    EXPECT_EQ(fields->getValue<std::string>("institution_uai"), "0342321N") << "the gateway's own UAI";
    EXPECT_EQ(first->getArray("errors")->size(), 0u);

    // The quoted line break puts E002 on line 4, E003 on line 5.
    const auto second = rows->getObject(1);
    EXPECT_EQ(second->getValue<int>("line"), 4);
    EXPECT_EQ(second->getObject("fields")->getValue<std::string>("insertion_status"),
              "JOB_SEEKER_REGISTERED");
    EXPECT_EQ(second->getObject("fields")->getValue<std::string>("exit_date"), "2024-06-28");

    const auto third = rows->getObject(2);
    EXPECT_EQ(third->getValue<int>("line"), 5);
    const auto errors = third->getArray("errors");
    ASSERT_EQ(errors->size(), 1u) << r.out;
    EXPECT_EQ(errors->getObject(0)->getValue<std::string>("field"), "entry_date");
    EXPECT_NE(errors->getObject(0)->getValue<std::string>("reason").find("calendar date"), std::string::npos);
    EXPECT_EQ(third->getObject("fields")->getValue<std::string>("insertion_status"), "IN_TRAINING");

    EXPECT_FALSE(fs::exists(stateDir())) << "preview must not create the state folder";
    EXPECT_FALSE(fs::exists(root() / "absent.keys"));
}

TEST_F(PreviewTest, TextFormShowsEachRowAndItsProblems) {
    const fs::path config =
        writeConfig(writeExport("apogee-1252.csv", kWindows1252Export), "source.encoding = windows-1252\n");
    const auto r = preview(config, {});
    EXPECT_EQ(r.exitCode, kExitFailed) << r;
    EXPECT_NE(r.out.find("line 2: accepted"), std::string::npos) << r;
    EXPECT_NE(r.out.find("line 5: REFUSED"), std::string::npos) << r;
    EXPECT_NE(r.out.find("! entry_date: not a real calendar date"), std::string::npos) << r;
    EXPECT_NE(r.out.find("3 row(s) read: 2 accepted, 1 refused, 0 malformed"), std::string::npos) << r;
    EXPECT_EQ(r.err, "") << "values and problems go to stdout only";

    const auto raw = preview(config, {"--raw"});
    EXPECT_EQ(raw.exitCode, 0) << raw;
    EXPECT_NE(raw.out.find("columns: [COD_ETU] [NOM] [PRENOM]"), std::string::npos) << raw;
    EXPECT_NE(
        raw.out.find(
            "line 2: [E001] [Lefèvre] [Zoé] [01/09/2023] [30/06/2024] [DAEU \"A\"\\r\\nlittéraire] [EMP]"),
        std::string::npos)
        << "a line break in a cell is shown escaped, so a row stays on one line\n"
        << raw;
}

TEST_F(PreviewTest, StrictValueMapRefusesAnUnlistedValueNamingTheFieldOnly) {
    const fs::path file =
        writeExport("strict.csv", kHeader +
                                      "\nE010;Roux;Anne;01/09/2023;30/06/2024;DAEU A;ZZTOP\n"
                                      "E011;Roux;Paul;01/09/2023;30/06/2024;DAEU A;REC\n");
    const auto r =
        preview(writeConfig(file, "", kMapping + "values.insertion_status.strict = true\n"), {"--json"});
    EXPECT_EQ(r.exitCode, kExitFailed) << r;
    const auto rows = parseArray(r.out);
    ASSERT_EQ(rows->size(), 2u) << r.out;
    const auto errors = rows->getObject(0)->getArray("errors");
    ASSERT_EQ(errors->size(), 1u) << r.out << "\nthe strict map's refusal only, not the validator's as well";
    EXPECT_EQ(errors->getObject(0)->getValue<std::string>("field"), "insertion_status");
    const std::string reason = errors->getObject(0)->getValue<std::string>("reason");
    EXPECT_NE(reason.find("values.insertion_status"), std::string::npos) << reason;
    EXPECT_EQ(reason.find("ZZTOP"), std::string::npos) << reason;
    EXPECT_EQ(rows->getObject(1)->getArray("errors")->size(), 0u) << r.out;

    // Without strict, the unlisted value is kept and the validator refuses it as a status.
    const auto lenient = preview(writeConfig(file), {"--json"});
    const auto lenientRows = parseArray(lenient.out);
    ASSERT_EQ(lenientRows->size(), 2u) << lenient;
    EXPECT_EQ(lenientRows->getObject(0)->getObject("fields")->getValue<std::string>("insertion_status"),
              "ZZTOP");
    EXPECT_NE(
        lenientRows->getObject(0)->getArray("errors")->getObject(0)->getValue<std::string>("reason").find(
            "unknown insertion status"),
        std::string::npos);
}

TEST_F(PreviewTest, Utf8ByteOrderMarkIsNotPartOfTheFirstColumn) {
    const Table table = rawTable(writeExport("bom.csv",
                                             "\xEF\xBB\xBF"
                                             "COD_ETU,NOM\nE1,\xC3\x85nstr\xC3\xB6m\n"));
    EXPECT_EQ(table, (Table{{"COD_ETU", "NOM"}, {"E1", "Ånström"}}));
}

TEST_F(PreviewTest, RowsLimitsHowManyRowsAreReadThenStops) {
    std::string csv = kHeader + "\n";
    for (int i = 1; i <= 30; ++i) {
        csv += "E" + std::to_string(100 + i) + ";Nom;Prenom;01/09/2023;30/06/2024;DAEU A;EMP\n";
        if (i == 7) csv += "broken;row\n";  // line 9: read only when more than 7 rows are asked for
    }
    const fs::path config = writeConfig(writeExport("thirty.csv", csv));

    const auto five = preview(config, {"--raw", "--json", "--rows", "5"});
    EXPECT_EQ(five.exitCode, 0) << five;
    EXPECT_EQ(five.err, "") << "reading stopped before the broken row: " << five;
    const Table table = parseTable(five.out);
    ASSERT_EQ(table.size(), 6u);
    EXPECT_EQ(table.back().front(), "E105");

    const auto byDefault = preview(config, {"--raw", "--json"});
    EXPECT_EQ(parseTable(byDefault.out).size(), 1u + 19u) << "20 rows read, one of them malformed";
    const auto all = preview(config, {"--raw", "--json", "--rows", "0"});
    EXPECT_EQ(parseTable(all.out).size(), 31u);
    const auto records = preview(config, {"--json", "--rows", "3"});
    EXPECT_EQ(records.exitCode, 0) << records;
    EXPECT_EQ(parseArray(records.out)->size(), 3u);

    const auto wrong = preview(config, {"--rows", "many"});
    EXPECT_EQ(wrong.exitCode, 2) << wrong;
    EXPECT_NE(wrong.err.find("--rows"), std::string::npos) << wrong;
}

TEST_F(PreviewTest, MalformedRowIsNamedOnStderrAndLeftOutOfValidJson) {
    const fs::path file =
        writeExport("malformed.csv", kHeader +
                                         "\n"
                                         "E201;Durand;Léa;01/09/2023;30/06/2024;DAEU A;EMP\n"
                                         "E202;Secretname;only four cells\n"
                                         "E203;Petit;Jean;01/09/2023;30/06/2024;DAEU B;REC\n");
    const fs::path config = writeConfig(file);
    for (const bool raw : {true, false}) {
        // --log-level debug: whatever the gateway logs, no value of the file may be in it.
        std::vector<std::string> args = {"--log-level",   "debug", "preview", "--config",
                                         config.string(), "--job", "survey",  "--json"};
        if (raw) args.push_back("--raw");
        const auto r = passerelle(args, raw ? "malformed.raw" : "malformed.records");
        EXPECT_EQ(r.exitCode, kExitFailed) << r;
        EXPECT_NE(r.err.find("line 3"), std::string::npos) << "stderr names the malformed row's line\n" << r;
        for (const char* value : {"Secretname", "E202", "Durand", "E201", "Léa"}) {
            EXPECT_EQ(r.err.find(value), std::string::npos) << "a value on stderr: " << value << "\n" << r;
        }
        const auto rows = parseArray(r.out);
        EXPECT_EQ(rows->size(), raw ? 3u : 2u)
            << "the malformed row is left out, the rows after it are there\n"
            << r.out;
    }
}

TEST_F(PreviewTest, CsvEdgeCasesRoundTrip) {
    EXPECT_EQ(rawTable(writeExport("empty-fields.csv", "a,b,c\n,,\n1,,3\n")),
              (Table{{"a", "b", "c"}, {"", "", ""}, {"1", "", "3"}}));
    EXPECT_EQ(rawTable(writeExport("only-quote.csv", "a,b\n\"\"\"\",x\n\"\",\"\"\n")),
              (Table{{"a", "b"}, {"\"", "x"}, {"", ""}}));
    EXPECT_EQ(rawTable(writeExport("no-final-newline.csv", "a,b\n1,2")), (Table{{"a", "b"}, {"1", "2"}}));
    const Table crlf = rawTable(writeExport("crlf.csv", "a;b\r\nx;\"y\r\nz\"\r\n1;2\r\n"));
    const Table lf = rawTable(writeExport("lf.csv", "a;b\nx;\"y\r\nz\"\n1;2\n"));
    EXPECT_EQ(crlf, (Table{{"a", "b"}, {"x", "y\r\nz"}, {"1", "2"}}));
    EXPECT_EQ(lf, crlf) << "the row ends are not part of the cells";
    EXPECT_EQ(rawTable(writeExport("header-only.csv", "a;b;c\n")), (Table{{"a", "b", "c"}}));
    EXPECT_EQ(rawTable(writeExport("escapes.csv", "a,b\n\"tab\there\",back\\slash \x01 end\n")),
              (Table{{"a", "b"}, {"tab\there", "back\\slash \x01 end"}}))
        << "control characters and backslashes survive JSON escaping";
}

TEST_F(PreviewTest, EmptyFileIsAClearErrorWithNothingOnStdout) {
    const auto r = preview(writeConfig(writeExport("empty.csv", "")), {"--raw", "--json"});
    EXPECT_EQ(r.exitCode, kExitConfig) << r;
    EXPECT_NE(r.err.find("empty"), std::string::npos) << r;
    EXPECT_NE(r.err.find("empty.csv"), std::string::npos) << "the message names the file\n" << r;
    EXPECT_EQ(r.out, "");
}

TEST_F(PreviewTest, MissingColumnNamesTheMapKey) {
    const auto r =
        preview(writeConfig(writeExport("no-first-names.csv",
                                        "COD_ETU;NOM;DATE_ENTREE;DATE_SORTIE;LIB_FORMATION;SITUATION_6M\n"
                                        "E1;X;01/09/2023;30/06/2024;DAEU A;EMP\n")),
                {"--json"});
    EXPECT_EQ(r.exitCode, kExitConfig) << r;
    EXPECT_NE(r.err.find("job.survey.map.first_names"), std::string::npos) << r;
    EXPECT_EQ(r.out, "");
}

TEST_F(PreviewTest, UnknownJobListsTheJobs) {
    const auto r = passerelle(
        {"preview", "--config", writeConfig(writeExport("x.csv", "a\n")).string(), "--job", "nope"},
        "unknown-job");
    EXPECT_EQ(r.exitCode, kExitConfig) << r;
    EXPECT_NE(r.err.find("no job named 'nope'"), std::string::npos) << r;
    EXPECT_NE(r.err.find("survey"), std::string::npos) << r;
}

TEST_F(PreviewTest, HelpExplainsTheModes) {
    const auto r = passerelle({"preview", "--help"}, "help");
    EXPECT_EQ(r.exitCode, 0) << r;
    for (const char* word : {"--raw", "--json", "--rows", "stderr", "no keys", "personal data"}) {
        EXPECT_NE(r.out.find(word), std::string::npos) << word << "\n" << r.out;
    }
    const auto overview = passerelle({"--help"}, "overview");
    EXPECT_NE(overview.out.find("preview"), std::string::npos) << overview;
}

}  // namespace
}  // namespace passerelle::integration
