// Damaged CSV exports through a real transfer: every row is either delivered
// once or quarantined with its line, column and reason; an export the job
// cannot read at all stops before anything is queued, naming the file or the
// key. No value from the export appears in a message or report.

#include "../support/exchange_fixture.h"

namespace passerelle::integration {
namespace {

const std::string kHeader =
    "COD_ETU;NOM;PRENOM;DATE_NAI;EMAIL;TEL_PORTABLE;COD_INE;LIB_FORMATION;COD_RNCP;DATE_ENTREE;DATE_SORTIE;PROGRAMME";

// One Apogée-style row; `surname` and `course` are written as given (bytes).
std::string row(int n, const std::string& surname, const std::string& course = "DU Management de projet",
                const std::string& entry = "01/09/2023") {
    return std::to_string(30000000 + n) + ";" + surname + ";Camille;12/03/1990;trainee" + std::to_string(n) +
           "@example.org;06 12 34 56 78;1234567" + std::to_string(10 + n % 90) + "AB;" + course +
           ";RNCP34567;" + entry + ";28/06/2024;FORPRO_SUP\r\n";
}

class CsvExportTest : public ExchangeTest {
protected:
    // Starts the Region and an institution whose survey job reads `content` in `encoding`.
    void start(const std::string& content, const std::string& encoding) {
        exportFile_ = root() / "exports" / "damaged.csv";
        fs::create_directories(exportFile_.parent_path());
        writeFile(exportFile_, content);
        region_ = startMontpellierExchange(exportFile_, inst_);
        ASSERT_TRUE(region_);
        std::string config = readFile(inst_.config);
        for (auto at = config.find("source.encoding = utf-8"); at != std::string::npos;
             at = config.find("source.encoding = utf-8", at + 1)) {
            config.replace(at, 23, "source.encoding = " + encoding);
        }
        writeFile(inst_.config, config);
    }

    CommandResult transfer(const std::string& log) {
        return passerelle({"transfer", "--config", inst_.config.string(), "--job", "survey-contact", "--json"}, log,
                          120s);
    }

    std::size_t outboxBatches() {
        const fs::path outbox = inst_.stateDir() / "outbox";
        if (!fs::is_directory(outbox)) return 0;
        return static_cast<std::size_t>(std::distance(fs::directory_iterator(outbox), fs::directory_iterator()));
    }

    fs::path exportFile_;
    Institution inst_;
    std::unique_ptr<RunningRegion> region_;
};

TEST_F(CsvExportTest, EachDamagedRowIsQuarantinedWithItsPlaceAndTheRestIsDeliveredOnce) {
    // Windows-1252: é is 0xE9, è 0xE8; 0x81 is a byte that charset leaves undefined.
    std::string content = kHeader + "\r\n";
    content += row(1, "Lef\xE8" "vre");                                             // line 2: valid, accents
    content += row(2, "Dupont", "\"DU Gestion; finance\r\net comptabilit\xE9\"");  // lines 3-4: quoted ; and line break
    content += row(3, "Bad\x81" "byte");                                         // line 5: undefined byte
    content += row(4, "Martin", "DU Management de projet", "31/02/2024");         // line 6: no such date
    content += "30000005;Too;few;cells\r\n";                                       // line 7: wrong cell count
    content += row(6, "Garc\xED" "a", std::string(10u << 20, 'x'));                  // line 8: a 10 MB cell
    content += row(7, "Mor\xE9" "l");                                               // line 9: valid
    content += "30000008;\"Unterminated;Camille;12/03/1990\r\n";                 // line 10: quote never closed
    start(content, "windows-1252");
    ASSERT_FALSE(HasFailure());

    const auto r = transfer("transfer");
    ASSERT_EQ(r.exitCode, 0) << r;
    const auto summary = parseJson(r.out);
    EXPECT_EQ(summary->getValue<std::uint64_t>("sealed"), 3u) << r.out;
    EXPECT_EQ(summary->getValue<std::uint64_t>("quarantined"), 5u) << r.out;
    EXPECT_TRUE(summary->getValue<bool>("receipted"));
    const std::string batchId = summary->getValue<std::string>("batch_id");

    // The quarantine report: each damaged row by line, with where and why.
    const std::string report = readFile(summary->getValue<std::string>("quarantine_report"));
    std::map<std::uint64_t, std::string> byLine;
    for (const auto& line : lines(report)) {
        if (line.starts_with("line,")) continue;
        byLine[std::stoull(line.substr(0, line.find(',')))] += line + "\n";
    }
    EXPECT_EQ((std::set<std::uint64_t>{5, 6, 7, 8, 10}), [&] {
        std::set<std::uint64_t> keys;
        for (const auto& [k, v] : byLine) keys.insert(k);
        return keys;
    }()) << report;
    EXPECT_NE(byLine[5].find("windows-1252"), std::string::npos) << byLine[5];
    EXPECT_NE(byLine[6].find("entry_date"), std::string::npos) << byLine[6];
    EXPECT_NE(byLine[8].find("course_title"), std::string::npos) << byLine[8];
    EXPECT_NE(byLine[10].find("quote"), std::string::npos) << byLine[10];
    for (const char* value : {"Bad", "Garc", "Unterminated", "xxxxxxxx", "Martin", "Too", "few", "31/02"}) {
        EXPECT_EQ(report.find(value), std::string::npos) << "the report quotes a value: " << value;
        EXPECT_EQ(r.err.find(value), std::string::npos) << "a message quotes a value: " << value;
    }

    // The Region's survey file: exactly the three valid rows, decoded, once.
    const fs::path sinkFile = regionSink() / ("univ-montpellier_" + batchId + ".csv");
    ASSERT_TRUE(waitUntil([&] { return fs::exists(sinkFile); }, 15s)) << region_->log();
    const std::string survey = readFile(sinkFile);
    for (const char* expected : {"Lefèvre", "Dupont", "Morél", "comptabilité"}) {
        EXPECT_NE(survey.find(expected), std::string::npos) << expected << " missing from\n" << survey;
    }
    EXPECT_EQ(sinkBatchFiles().size(), 1u);
}

TEST_F(CsvExportTest, AnEmptyExportStopsTheRunNamingTheFileAndQueuesNothing) {
    start("", "utf-8");
    ASSERT_FALSE(HasFailure());
    const auto r = transfer("transfer");
    EXPECT_NE(r.exitCode, 0) << r;
    EXPECT_NE(r.err.find("damaged.csv"), std::string::npos) << "the message must name the file\n" << r;
    EXPECT_EQ(outboxBatches(), 0u);
}

TEST_F(CsvExportTest, AMissingMappedColumnStopsTheRunNamingTheKeyAndQueuesNothing) {
    std::string header = kHeader;
    header.erase(header.find(";DATE_SORTIE"), std::string(";DATE_SORTIE").size());
    start(header + "\r\n30000001;Dupont;Camille;12/03/1990;a@example.org;;;DU;RNCP1;01/09/2023;FORPRO_SUP\r\n",
          "utf-8");
    ASSERT_FALSE(HasFailure());
    const auto r = transfer("transfer");
    EXPECT_EQ(r.exitCode, 3) << r;
    EXPECT_NE(r.err.find("map.exit_date"), std::string::npos) << "the message must name the key\n" << r;
    EXPECT_NE(r.err.find("DATE_SORTIE"), std::string::npos) << "and the column it looked for\n" << r;
    EXPECT_EQ(outboxBatches(), 0u);
}

TEST_F(CsvExportTest, AnExportOfInvalidUtf8QuarantinesOnlyTheRowsWithInvalidBytes) {
    std::string content = kHeader + "\r\n";
    content += row(1, "Lef\xC3\xA8vre");  // valid UTF-8
    content += row(2, "Stray\xE9");       // a Latin-1 byte in a UTF-8 file
    content += row(3, "Durand");
    start(content, "utf-8");
    ASSERT_FALSE(HasFailure());
    const auto r = transfer("transfer");
    ASSERT_EQ(r.exitCode, 0) << r;
    const auto summary = parseJson(r.out);
    EXPECT_EQ(summary->getValue<std::uint64_t>("sealed"), 2u) << r.out;
    EXPECT_EQ(summary->getValue<std::uint64_t>("quarantined"), 1u) << r.out;
    const std::string report = readFile(summary->getValue<std::string>("quarantine_report"));
    EXPECT_NE(report.find("\n3,"), std::string::npos) << report;
    EXPECT_EQ(report.find("Stray"), std::string::npos) << report;
}

}  // namespace
}  // namespace passerelle::integration
