// Region-initiated extraction end to end (docs/extraction.md): `passerelle extract`
// gets exactly the cohort it asked for; a replayed, stale, misaddressed or
// unauthorised request is refused by the institution, each refusal in its ledger.

#include <future>

#include "extraction_fixture.h"

namespace passerelle::integration {
namespace {

constexpr char kExportDelimiter = ';';
constexpr std::size_t kEmailColumn = 4;
constexpr std::size_t kExitDateColumn = 10;  // dd/mm/yyyy in an Apogée export
constexpr std::size_t kSinkEmail = 2;        // kSurveyFields
constexpr std::size_t kSinkExitDate = 9;

std::string isoFromFrench(const std::string& date) {  // dd/mm/yyyy -> yyyy-mm-dd
    return date.substr(6, 4) + "-" + date.substr(3, 2) + "-" + date.substr(0, 2);
}

// The e-mail (unique per row) of every export row whose exit date is in [from, to].
std::set<std::string> cohortOf(const fs::path& exportFile, const std::string& from, const std::string& to,
                               std::size_t& rows) {
    std::set<std::string> emails;
    const auto all = lines(readFile(exportFile));
    rows = all.size() - 1;
    for (std::size_t i = 1; i < all.size(); ++i) {
        const auto cells = splitCells(all[i], kExportDelimiter);
        const std::string exit = isoFromFrench(cells.at(kExitDateColumn));
        if (exit >= from && exit <= to) emails.insert(cells.at(kEmailColumn));
    }
    return emails;
}

class ExtractionFlowTest : public ExtractionTest {};

TEST_F(ExtractionFlowTest, ExtractWaitYieldsExactlyTheCohortAskedFor) {
    startExchange();
    ASSERT_FALSE(HasFailure());
    // Exit dates are always the 28th in the synthetic export: both bounds are hit.
    const std::string from = "2023-01-28";
    const std::string to = "2023-06-28";
    std::size_t exportRows = 0;
    const auto expected = cohortOf(exportFile_, from, to, exportRows);
    ASSERT_GT(expected.size(), 10u) << "the window must select part of the export";
    ASSERT_LT(expected.size(), exportRows) << "the window must leave part of the export out";

    // One bound in the French form an operator may type.
    const auto r = extract({"--purpose", kSurveyPurpose, "--exit-from", "28/01/2023", "--exit-to", to,
                            "--wait", "--timeout", "60", "--json"},
                           "region.extract", 90s);
    ASSERT_EQ(r.exitCode, 0) << r << logsOfBoth();
    const auto summary = parseJson(r.out);
    EXPECT_EQ(summary->getValue<std::string>("outcome"), "sent");
    EXPECT_EQ(summary->getValue<std::string>("exit_from"), from);
    EXPECT_TRUE(summary->getValue<bool>("arrived")) << r.out;
    EXPECT_EQ(summary->getValue<std::uint64_t>("records"), expected.size());
    EXPECT_EQ(summary->getValue<std::uint64_t>("outside_filter"), exportRows - expected.size());
    EXPECT_EQ(summary->getValue<std::uint64_t>("quarantined"), 0u);
    const std::string batchId = summary->optValue<std::string>("batch_id", "");
    const std::string requestId = summary->getValue<std::string>("request_id");
    ASSERT_FALSE(batchId.empty()) << r.out;

    // The survey file holds exactly the cohort: same e-mails, each exit date in the window.
    const fs::path sinkFile = regionSink() / (std::string(kInstitution) + "_" + batchId + ".csv");
    ASSERT_TRUE(waitUntil([&] { return fs::exists(sinkFile); }, 15s)) << "no survey file" << logsOfBoth();
    const auto sinkLines = lines(readFile(sinkFile));
    std::set<std::string> delivered;
    std::size_t outsideWindow = 0;
    for (std::size_t i = 1; i < sinkLines.size(); ++i) {
        const auto cells = splitCells(sinkLines[i], ',');
        delivered.insert(cells.at(kSinkEmail));
        if (cells.at(kSinkExitDate) < from || cells.at(kSinkExitDate) > to) ++outsideWindow;
    }
    EXPECT_EQ(sinkLines.size() - 1, expected.size()) << "one survey row per trainee of the cohort";
    EXPECT_EQ(outsideWindow, 0u) << "rows outside the window reached the survey file";
    std::vector<std::string> missing;
    std::vector<std::string> extra;
    std::set_difference(expected.begin(), expected.end(), delivered.begin(), delivered.end(),
                        std::back_inserter(missing));
    std::set_difference(delivered.begin(), delivered.end(), expected.begin(), expected.end(),
                        std::back_inserter(extra));
    // Counts only: no value is printed, synthetic or not.
    EXPECT_EQ(missing.size(), 0u) << "trainees of the cohort missing from the survey file";
    EXPECT_EQ(extra.size(), 0u) << "trainees outside the cohort in the survey file";

    // Both ledgers: the institution served it and sealed the batch for it; the Region sent it.
    const auto served = ledgerEntries(inst_.config, "extraction-requested");
    ASSERT_EQ(served.size(), 1u);
    EXPECT_EQ(served[0]->getValue<std::string>("outcome"), "served");
    EXPECT_EQ(served[0]->getValue<std::string>("purpose"), kSurveyPurpose);
    EXPECT_EQ(served[0]->getValue<std::string>("counterpart"), kRegion);
    EXPECT_NE(served[0]->getValue<std::string>("actor").find(std::string("CN=") + kRegion),
              std::string::npos);
    EXPECT_NE(served[0]->getValue<std::string>("reason").find(requestId), std::string::npos);
    EXPECT_NE(served[0]->getValue<std::string>("reason").find(from + " to " + to), std::string::npos);
    bool sealedForIt = false;
    for (const auto& e : ledgerEntries(inst_.config, "batch-sealed")) {
        sealedForIt |=
            e->getValue<std::string>("batch_id") == batchId &&
            e->getValue<std::string>("reason").find("extraction request " + requestId) != std::string::npos;
    }
    EXPECT_TRUE(sealedForIt) << "the batch-sealed entry must name the extraction request";
    const auto sent = ledgerEntries(regionConfig(), "extraction-requested");
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0]->getValue<std::string>("outcome"), "sent");
    EXPECT_EQ(sent[0]->getValue<std::string>("batch_id"), batchId);
    EXPECT_EQ(sent[0]->getValue<std::uint64_t>("record_count"), expected.size());

    const auto verify =
        passerelle({"audit", "verify", "--config", inst_.config.string()}, "institution.verify");
    EXPECT_EQ(verify.exitCode, 0) << verify;

    // No e-mail of the cohort in clear outside the survey files: not in the institution's
    // folder (state.db with its extraction_requests table, ledger.db, sealed outbox), not in
    // the Region's state, not in anything either side printed.
    std::vector<fs::path> scanned;
    for (const fs::path& dir : {inst_.dir, regionDir() / "state", logs()}) {
        for (const auto& e : fs::recursive_directory_iterator(dir)) {
            if (e.is_regular_file()) scanned.push_back(e.path());
        }
    }
    ASSERT_NE(readFile(sinkFile).find(*expected.begin()), std::string::npos)
        << "the scan must see clear text";
    for (const fs::path& file : scanned) {
        const std::string bytes = readFile(file);
        const auto found = std::count_if(expected.begin(), expected.end(), [&](const std::string& email) {
            return bytes.find(email) != std::string::npos;
        });
        EXPECT_EQ(found, 0) << file << " holds " << found << " e-mail address(es) of the cohort in clear";
    }
}

TEST_F(ExtractionFlowTest, AWindowWithNoTraineeIsServedWithNoBatch) {
    startExchange();
    ASSERT_FALSE(HasFailure());
    const auto r = extract(
        {"--purpose", kSurveyPurpose, "--exit-from", "2030-01-01", "--exit-to", "2030-12-31", "--wait"},
        "region.extract-empty");
    ASSERT_EQ(r.exitCode, 0) << r << logsOfBoth();
    EXPECT_NE(r.out.find("nothing will arrive"), std::string::npos) << r;
    EXPECT_TRUE(sinkBatchFiles().empty());
}

TEST_F(ExtractionFlowTest, TheSameSignedRequestIsServedOnceEvenAfterARestart) {
    startExchange();
    ASSERT_FALSE(HasFailure());
    const std::string body = signedRequest().body();
    const auto first = post(body);
    ASSERT_EQ(first.status, 202) << first.body << logsOfBoth();
    const auto again = post(body);
    EXPECT_EQ(again.status, 409) << again.body;
    EXPECT_EQ(errorCode(again), "replayed_request") << again.body;

    // Nonces are on disk: a restarted gateway still knows them.
    stopInstitution();
    startInstitution("institution-restarted");
    ASSERT_TRUE(institution_);
    const auto afterRestart = post(body);
    EXPECT_EQ(afterRestart.status, 409) << afterRestart.body;

    // A new nonce with a request id seen before is a replay too.
    const auto sameId = post(signedRequest([&](exchange::ExtractionRequest& r) {
                                 r.requestId = exchange::ExtractionRequest::parse(
                                                   exchange::SignedExtractionRequest::fromBody(body).json)
                                                   .requestId;
                             }).body());
    EXPECT_EQ(sameId.status, 409) << sameId.body;

    const auto denied = deniedEntries("replayed_request");
    EXPECT_EQ(denied.size(), 3u) << "each replay is a denied ledger entry";
    for (const auto& e : denied) {
        EXPECT_EQ(e->getValue<std::string>("purpose"), kSurveyPurpose);
        EXPECT_EQ(e->getValue<std::string>("counterpart"), kRegion);
    }
    std::size_t servedCount = 0;
    for (const auto& e : ledgerEntries(inst_.config, "extraction-requested")) {
        servedCount += e->getValue<std::string>("outcome") == "served" ? 1 : 0;
    }
    EXPECT_EQ(servedCount, 1u);
}

TEST_F(ExtractionFlowTest, TwoConcurrentCopiesOfOneRequestAreServedOnce) {
    startExchange();
    ASSERT_FALSE(HasFailure());
    const std::string body = signedRequest().body();
    auto send = [&] { return post(body).status; };
    auto a = std::async(std::launch::async, send);
    auto b = std::async(std::launch::async, send);
    std::multiset<int> statuses{a.get(), b.get()};
    EXPECT_EQ(statuses, (std::multiset<int>{202, 409})) << logsOfBoth();
}

TEST_F(ExtractionFlowTest, ARequestSentWithAnInstitutionsCertificateIsRefusedAndLogged) {
    startExchange();
    ASSERT_FALSE(HasFailure());
    // Signed by the Region, but presented by another institution (a valid certificate of the same CA).
    const auto r = post(signedRequest().body(), kOtherInstitution);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(errorCode(r), "unknown_party") << r.body;
    const auto denied = deniedEntries("unknown_party");
    ASSERT_EQ(denied.size(), 1u) << "the refusal must be logged on the institution's side";
    EXPECT_NE(denied[0]->getValue<std::string>("actor").find(std::string("CN=") + kOtherInstitution),
              std::string::npos);
    EXPECT_EQ(denied[0]->getValue<std::string>("counterpart"), kOtherInstitution);
    EXPECT_TRUE(fs::is_empty(inst_.stateDir() / "outbox")) << "nothing may be prepared for it";
}

TEST_F(ExtractionFlowTest, APurposeTheRegionMayNotRequestIsRefusedAndLoggedOnBothSides) {
    startExchange();  // extract_purposes lists the survey purpose only
    ASSERT_FALSE(HasFailure());
    const auto r =
        extract({"--purpose", kStatisticsPurpose, "--exit-from", "2023-01-01", "--exit-to", "2023-12-31"},
                "region.extract-statistics");
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_NE(r.err.find("HTTP 403 purpose_not_allowed"), std::string::npos) << r;
    const auto denied = deniedEntries("purpose_not_allowed");
    ASSERT_EQ(denied.size(), 1u) << logsOfBoth();
    EXPECT_EQ(denied[0]->getValue<std::string>("purpose"), kStatisticsPurpose);
    const auto regionSide = ledgerEntries(regionConfig(), "extraction-requested");
    ASSERT_EQ(regionSide.size(), 1u);
    EXPECT_EQ(regionSide[0]->getValue<std::string>("outcome"), "refused");
    EXPECT_NE(regionSide[0]->getValue<std::string>("reason").find("purpose_not_allowed"), std::string::npos);
    EXPECT_TRUE(fs::is_empty(inst_.stateDir() / "outbox"));
}

TEST_F(ExtractionFlowTest, AnAllowedPurposeWithoutAJobIsRefusedNamingThePurpose) {
    startExchange({std::string(kSurveyPurpose) + ", " + kStatisticsPurpose, false});
    ASSERT_FALSE(HasFailure());
    const auto r = post(
        signedRequest([](exchange::ExtractionRequest& req) { req.purpose = kStatisticsPurpose; }).body());
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(errorCode(r), "no_job") << r.body;
    EXPECT_NE(r.body.find(kStatisticsPurpose), std::string::npos) << r.body;
    EXPECT_EQ(deniedEntries("no_job").size(), 1u);
}

TEST_F(ExtractionFlowTest, StaleForgedOrMalformedRequestsAreRefusedWithTheirReason) {
    startExchange();
    ASSERT_FALSE(HasFailure());
    struct Case {
        std::string what;
        std::function<void(exchange::ExtractionRequest&)> amend;
        int status;
        std::string code;
    };
    using Request = exchange::ExtractionRequest;
    const auto stale = formatUtc(std::chrono::system_clock::now() - std::chrono::seconds(700));
    const auto ahead = formatUtc(std::chrono::system_clock::now() + std::chrono::seconds(700));
    const std::vector<Case> cases = {
        {"issued 700 s ago", [&](Request& r) { r.issuedAt = stale; }, 403, "request_expired"},
        {"issued 700 s ahead", [&](Request& r) { r.issuedAt = ahead; }, 403, "request_expired"},
        {"not a calendar date", [](Request& r) { r.exitFrom = "2023-02-30"; }, 400, "invalid_filter"},
        {"French date on the wire", [](Request& r) { r.exitTo = "28/06/2023"; }, 400, "invalid_filter"},
        {"from after to", [](Request& r) { std::swap(r.exitFrom, r.exitTo); }, 400, "invalid_filter"},
        {"for another institution", [](Request& r) { r.institution = kOtherInstitution; }, 403,
         "wrong_institution"},
        {"naming another requester", [](Request& r) { r.requester = kOtherInstitution; }, 403,
         "requester_mismatch"},
    };
    for (const Case& c : cases) {
        const auto r = post(signedRequest(c.amend).body());
        EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body;
        EXPECT_EQ(errorCode(r), c.code) << c.what << ": " << r.body;
    }
    const auto expired = post(signedRequest([&](Request& r) { r.issuedAt = stale; }).body());
    EXPECT_TRUE(std::regex_search(expired.body, std::regex(R"(issued_at \S+ is 7\d\d s in the past)")))
        << "the skew must be said: " << expired.body;

    // Signed with the institution's own key: the Region's certificate, but not its signature.
    const auto forged = post(signedRequest({}, inst_.keysDir()).body());
    EXPECT_EQ(forged.status, 403) << forged.body;
    EXPECT_EQ(errorCode(forged), "bad_signature") << forged.body;
    // Altered after signing.
    auto altered = signedRequest();
    altered.json.replace(altered.json.find("2023-01-01"), 10, "2022-01-01");
    const auto tampered = post(altered.body());
    EXPECT_EQ(tampered.status, 403) << tampered.body;
    EXPECT_EQ(errorCode(tampered), "bad_signature") << tampered.body;
    // Not the request format at all, or an unknown key.
    const auto garbage = post(R"({"request":"bm90IGpzb24=","signature":"AAAA"})");
    EXPECT_EQ(garbage.status, 400) << garbage.body;
    EXPECT_EQ(errorCode(garbage), "invalid_request");
    const auto unknownKey = post(R"({"request":"e30=","signature":"AAAA","extra":1})");
    EXPECT_EQ(unknownKey.status, 400) << unknownKey.body;
    EXPECT_NE(unknownKey.body.find("unknown key 'extra'"), std::string::npos) << unknownKey.body;
    const auto missingKey = post(
        exchange::SignedExtractionRequest{R"({"type":"passerelle-extraction-request-v1"})", "AAAA"}.body());
    EXPECT_EQ(missingKey.status, 400) << missingKey.body;
    EXPECT_NE(missingKey.body.find("key 'request_id' is missing"), std::string::npos) << missingKey.body;
    const auto tooLarge = post(std::string(70 * 1024, ' '));
    EXPECT_EQ(tooLarge.status, 413) << tooLarge.body;

    // Each refusal is in the institution's ledger; nothing was prepared.
    for (const char* code : {"request_expired", "invalid_filter", "wrong_institution", "requester_mismatch",
                             "bad_signature", "invalid_request", "request_too_large"}) {
        EXPECT_FALSE(deniedEntries(code).empty()) << "no denied ledger entry for " << code;
    }
    EXPECT_EQ(deniedEntries("request_expired").size(), 3u);
    EXPECT_TRUE(fs::is_empty(inst_.stateDir() / "outbox"));
}

TEST_F(ExtractionFlowTest, MalformedDatesAreRefusedByExtractWithoutSendingAnything) {
    startExchange();
    ASSERT_FALSE(HasFailure());
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--exit-from", "31/02/2023", "--exit-to", "2023-06-30"},
         "--exit-from '31/02/2023' is not a calendar date"},
        {{"--exit-from", "2023-01-01", "--exit-to", "June"}, "--exit-to 'June' is not a date"},
        {{"--exit-from", "2023-07-01", "--exit-to", "2023-06-30"},
         "--exit-from 2023-07-01 is after --exit-to"},
    };
    for (const auto& [dates, said] : cases) {
        std::vector<std::string> args = {"--purpose", kSurveyPurpose};
        args.insert(args.end(), dates.begin(), dates.end());
        const auto r = extract(args, "region.extract-bad-dates");
        EXPECT_EQ(r.exitCode, 2) << r;
        EXPECT_NE(r.err.find(said), std::string::npos) << r;
    }
    EXPECT_TRUE(ledgerEntries(inst_.config, "extraction-requested").empty()) << "nothing may have been sent";
    EXPECT_TRUE(ledgerEntries(regionConfig(), "extraction-requested").empty());
}

TEST_F(ExtractionFlowTest, AnUnreachableInstitutionFailsNamingItsUrl) {
    startExchange();
    ASSERT_FALSE(HasFailure());
    const int port = institutionPort_;
    stopInstitution();
    const auto r = extract(
        {"--purpose", kSurveyPurpose, "--exit-from", "2023-01-01", "--exit-to", "2023-12-31", "--wait"},
        "region.extract-unreachable");
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_NE(r.err.find("https://localhost:" + std::to_string(port)), std::string::npos) << r;
    const auto regionSide = ledgerEntries(regionConfig(), "extraction-requested");
    ASSERT_EQ(regionSide.size(), 1u);
    EXPECT_EQ(regionSide[0]->getValue<std::string>("outcome"), "failed");
}

TEST_F(ExtractionFlowTest, ExtractChecksTheRegionsOwnConfigurationFirst) {
    startExchange();
    ASSERT_FALSE(HasFailure());
    const auto unknown =
        passerelle({"extract", "--config", regionConfig().string(), "--institution", "univ-nowhere",
                    "--purpose", kSurveyPurpose, "--exit-from", "2023-01-01", "--exit-to", "2023-12-31"},
                   "region.extract-unknown");
    EXPECT_EQ(unknown.exitCode, 3) << unknown;
    EXPECT_NE(unknown.err.find("[peer.univ-nowhere]"), std::string::npos) << unknown;
    const auto fromInstitution =
        passerelle({"extract", "--config", inst_.config.string(), "--institution", kRegion, "--purpose",
                    kSurveyPurpose, "--exit-from", "2023-01-01", "--exit-to", "2023-12-31"},
                   "institution.extract");
    EXPECT_EQ(fromInstitution.exitCode, 3) << fromInstitution;
    EXPECT_NE(fromInstitution.err.find("gateway.role"), std::string::npos) << fromInstitution;
}

}  // namespace
}  // namespace passerelle::integration
