// One transfer end to end, over real mutual TLS between two real processes:
// what the Region's survey files hold, what the institution keeps, and that
// both ledgers verify afterwards.

#include "../support/exchange_fixture.h"

namespace passerelle::integration {
namespace {

constexpr int kRows = 500;
constexpr char kExportDelimiter = ';';
constexpr std::size_t kSurnameColumn = 1;
constexpr std::size_t kEmailColumn = 4;

struct ExportRow {
    std::uint64_t line;  // 1-based line in the export file; the header is line 1
    std::vector<std::string> cells;
};

std::vector<ExportRow> readExport(const fs::path& file) {
    std::vector<ExportRow> rows;
    std::uint64_t lineNumber = 0;
    std::istringstream in(readFile(file));
    for (std::string line; std::getline(in, line);) {
        ++lineNumber;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (lineNumber == 1 || line.empty()) continue;
        rows.push_back({lineNumber, splitCells(line, kExportDelimiter)});
    }
    return rows;
}

// Every file under `dir`, recursively, as bytes.
std::vector<fs::path> filesUnder(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) files.push_back(e.path());
    }
    return files;
}

class TransferTest : public ExchangeTest {};

TEST_F(TransferTest, DeliversExactlyTheValidRowsAndKeepsNoPersonalDataInClearOutsideTheSurveyFiles) {
    makePki({kRegion, "univ-montpellier"});
    writeRegionConfig({{"univ-montpellier"}});
    keysInit(regionConfig(), "region");
    const fs::path exportFile = makeExport("univ-montpellier", kRows, 10, 7);
    Institution inst = writeInstitutionConfig("univ-montpellier", "univ-montpellier", 0, exportFile);
    keysInit(inst.config, "univ-montpellier");
    ASSERT_FALSE(HasFailure());

    auto region = startRegion();
    ASSERT_TRUE(region);
    inst = writeInstitutionConfig("univ-montpellier", "univ-montpellier", region->port(), exportFile);

    const auto transfer =
        passerelle({"transfer", "--config", inst.config.string(), "--job", "survey-contact", "--json"},
                   "univ-montpellier.transfer");
    ASSERT_EQ(transfer.exitCode, 0) << transfer << "\n--- region log ---\n" << region->log();
    const auto summary = parseJson(transfer.out);
    ASSERT_TRUE(summary->has("batch_id")) << transfer.out;
    const auto rowsRead = summary->getValue<std::uint64_t>("rows_read");
    const auto sealed = summary->getValue<std::uint64_t>("sealed");
    const auto quarantined = summary->getValue<std::uint64_t>("quarantined");
    const auto batchId = summary->getValue<std::string>("batch_id");
    EXPECT_TRUE(summary->getValue<bool>("receipted"));
    EXPECT_EQ(rowsRead, static_cast<std::uint64_t>(kRows));
    EXPECT_EQ(sealed + quarantined, rowsRead);
    EXPECT_GT(quarantined, 0u) << "--invalid 10 must produce rows to quarantine";
    EXPECT_EQ(summary->getValue<std::uint64_t>("delivered"), sealed);
    ASSERT_FALSE(batchId.empty());

    // The Region hands the batch to its sink in the background: wait for the file.
    const fs::path sinkFile = regionSink() / ("univ-montpellier_" + batchId + ".csv");
    ASSERT_TRUE(
        waitUntil([&] { return fs::exists(sinkFile) && fs::exists(regionSink() / "index.csv"); }, 15s))
        << "no survey file " << sinkFile << "\n--- region log ---\n"
        << region->log();
    const auto sinkLines = lines(readFile(sinkFile));
    ASSERT_FALSE(sinkLines.empty());
    // The survey tool's participant file (sink.csv, layout auto): its three
    // columns from the name and e-mail fields, then the purpose's other fields,
    // then the sender.
    EXPECT_EQ(sinkLines.front(),
              "firstname,lastname,email,mobile_phone,institution_uai,programme,course_title,rncp_code,"
              "entry_date,exit_date,pseudonym,institution")
        << "the survey file's header must be the participant header";
    EXPECT_EQ(sinkLines.size() - 1, sealed) << "the survey file must hold exactly the sealed records";
    EXPECT_EQ(lines(readFile(regionSink() / "index.csv")).size(), 2u) << "index.csv: a header and one batch";

    // Exactly the rows not named in the quarantine report reach the Region, matched by e-mail (unique).
    const auto exportRows = readExport(exportFile);
    ASSERT_EQ(exportRows.size(), static_cast<std::size_t>(kRows));
    const fs::path report = summary->getValue<std::string>("quarantine_report");
    std::set<std::uint64_t> quarantinedLines;
    for (const auto& line : lines(readFile(report))) {
        if (line.starts_with("line,")) continue;
        quarantinedLines.insert(std::stoull(line.substr(0, line.find(','))));
    }
    EXPECT_EQ(quarantinedLines.size(), quarantined) << "one quarantined export line per quarantined row";
    std::set<std::string> expectedEmails;
    std::set<std::string> quarantinedEmails;
    for (const ExportRow& row : exportRows) {
        const std::string& email = row.cells.at(kEmailColumn);
        (quarantinedLines.contains(row.line) ? quarantinedEmails : expectedEmails).insert(email);
    }
    std::set<std::string> deliveredEmails;
    std::size_t quarantinedFound = 0;
    for (std::size_t i = 1; i < sinkLines.size(); ++i) {
        const std::string email = splitCells(sinkLines[i], ',').at(2);
        deliveredEmails.insert(email);
        if (quarantinedEmails.contains(email)) ++quarantinedFound;
    }
    EXPECT_EQ(quarantinedFound, 0u) << "records of quarantined lines reached the Region's survey file";
    EXPECT_EQ(deliveredEmails, expectedEmails) << "the survey file must hold the valid rows, each once";

    // No surname or e-mail in clear outside the survey files: not in the institution's folder
    // (SQLite files, sealed outbox, quarantine report), not in the Region's state (its inbox is
    // sealed for its box key, docs/batch-format.md), not in anything either gateway printed.
    std::vector<std::string> needles;
    for (const ExportRow& row : exportRows) {
        const std::string& email = row.cells.at(kEmailColumn);
        if (email.find('@') != std::string::npos) needles.push_back(email);
        // Short surnames could occur by chance in sealed bytes; six bytes or more cannot.
        if (row.cells.at(kSurnameColumn).size() >= 6) needles.push_back(row.cells.at(kSurnameColumn));
    }
    std::sort(needles.begin(), needles.end());
    needles.erase(std::unique(needles.begin(), needles.end()), needles.end());
    ASSERT_FALSE(needles.empty());
    ASSERT_NE(readFile(exportFile).find(needles.front()), std::string::npos)
        << "the scan must see clear text";
    auto scanned = filesUnder(inst.dir);
    for (const auto& f : filesUnder(regionDir() / "state")) scanned.push_back(f);
    for (const auto& f : filesUnder(logs())) scanned.push_back(f);
    std::size_t ledgers = 0;
    for (const fs::path& file : scanned) {
        if (file.filename() == "ledger.db") ++ledgers;
        const std::string bytes = readFile(file);
        const auto found = std::count_if(needles.begin(), needles.end(), [&](const std::string& needle) {
            return bytes.find(needle) != std::string::npos;
        });
        // Only the count: a value is never printed, synthetic or not.
        EXPECT_EQ(found, 0) << file << " holds " << found
                            << " surname(s) or e-mail(s) from the export in clear";
    }
    EXPECT_EQ(ledgers, 2u) << "the scan must cover both parties' ledgers";

    // docs/configuration.md: the state folder is created with mode 0700.
    for (const fs::path& dir : {inst.stateDir(), regionDir() / "state"}) {
        EXPECT_EQ(fs::status(dir).permissions() & fs::perms::all, fs::perms::owner_all) << dir;
    }

    const auto regionAudit =
        passerelle({"audit", "verify", "--config", regionConfig().string()}, "region.audit");
    EXPECT_EQ(regionAudit.exitCode, 0) << regionAudit;
    const auto instAudit =
        passerelle({"audit", "verify", "--config", inst.config.string()}, "univ-montpellier.audit");
    EXPECT_EQ(instAudit.exitCode, 0) << instAudit;

    stopGateway(region->process());
}

}  // namespace
}  // namespace passerelle::integration
