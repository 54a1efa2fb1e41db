// The kill storm (issue 5): at least 200 batches from two institutions while
// the Region's gateway, the institutions' gateways and transfers in flight are
// killed with SIGKILL at random moments, and the gateways started again. Then
// nothing is lost and nothing doubled: every batch is receipted, held once by
// the Region's inbox and once by its sink, and every ledger verifies.
//
// The storm's choices (what is killed, after how long, what is restarted when)
// come from a seeded PRNG; the seed is printed, and PASSERELLE_FAULT_SEED=<n>
// replays the choices (not the exact timing, which the machine decides).

#include "kill_storm.h"

namespace passerelle::integration {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kDrainLimit = 120s;  // for the institutions' gateways to deliver everything
constexpr auto kSinkLimit = 60s;    // then for the Region's sink to hold everything

unsigned stormSeed() {
    if (const char* s = std::getenv("PASSERELLE_FAULT_SEED"); s != nullptr && *s != '\0') {
        return static_cast<unsigned>(std::stoul(s));
    }
    return std::random_device{}();
}

std::string sinceText(Clock::time_point start) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

// Lines of the logs whose file name starts with `prefix` that contain `phrase`
// and not `unless`: evidence of which windows the kills hit, for the report.
int countLogLines(const fs::path& logDir, const std::string& prefix, const std::string& phrase,
                  const std::string& unless = "\x01") {
    int n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(logDir, ec)) {
        const std::string name = e.path().filename().string();
        if (!name.starts_with(prefix) || !name.ends_with(".err")) continue;
        for (const std::string& line : lines(readFile(e.path()))) {
            if (line.find(phrase) != std::string::npos && line.find(unless) == std::string::npos) ++n;
        }
    }
    return n;
}

TEST_F(FaultInjection, KillStorm) {
    const Clock::time_point testStart = Clock::now();
    const unsigned seed = stormSeed();
    std::cout << "[ storm    ] seed " << seed << " (replay its choices with PASSERELLE_FAULT_SEED=" << seed
              << ")" << std::endl;
    RecordProperty("seed", std::to_string(seed));

    // --- the exchange: the Region on a port it can come back to, two institutions
    makePki({kRegion, kMontpellier, kToulouse});
    const int port = restartablePort();
    const std::string both = std::string(kSurveyPurpose) + ", " + kStatisticsPurpose;
    writeRegionConfig({{kMontpellier, both}, {kToulouse, both}}, "127.0.0.1:" + std::to_string(port));
    keysInit(regionConfig(), "region");

    std::vector<StormParty> parties(2);
    const std::vector<std::vector<StormJob>> jobs = {{{"storm-a", kSurveyPurpose, 7},
                                                      {"storm-b", kStatisticsPurpose, 12},
                                                      {"storm-c", kSurveyPurpose, 18}},
                                                     {{"storm-a", kStatisticsPurpose, 5},
                                                      {"storm-b", kSurveyPurpose, 11},
                                                      {"storm-c", kSurveyPurpose, 20}}};
    for (std::size_t p = 0; p < parties.size(); ++p) {
        const std::string party = p == 0 ? kMontpellier : kToulouse;
        StormParty& sp = parties[p];
        sp.jobs = jobs[p];
        std::string extra = fastDelivery();
        fs::path firstExport;
        for (std::size_t j = 0; j < sp.jobs.size(); ++j) {
            const fs::path file = makeExport(party + "-" + sp.jobs[j].name, sp.jobs[j].rows, 0,
                                             static_cast<int>(100 + 10 * p + j));
            if (j == 0) firstExport = file;
            extra += jobSection(sp.jobs[j].name, sp.jobs[j].purpose, file);
        }
        sp.inst = writeInstitutionConfig(party, party, port, firstExport);
        appendToFile(sp.inst.config, extra);
        keysInit(sp.inst.config, party);
        sp.gateway = std::make_unique<GatewayProcess>(institutionGateway(sp.inst));
    }
    ASSERT_FALSE(HasFailure());

    GatewayProcess region = regionGateway();
    region.start();
    ASSERT_TRUE(region.waitReady(15s)) << "the Region's gateway did not start on port " << port << "\n"
                                       << region.describe();
    for (StormParty& sp : parties) {
        sp.gateway->start();
        ASSERT_TRUE(sp.gateway->waitReady(15s)) << sp.gateway->describe();
    }
    // One calm transfer each first: a storm on a broken set-up would only be noise.
    for (StormParty& sp : parties) {
        const auto r =
            passerelle({"transfer", "--config", sp.inst.config.string(), "--job", sp.jobs[0].name, "--json"},
                       sp.inst.party + ".transfer-calm");
        ASSERT_EQ(r.exitCode, 0) << "a transfer before any fault failed\n" << r;
        sp.reportedBatches.insert(parseJson(r.out)->optValue<std::string>("batch_id", ""));
    }

    // --- the storm, then calm: every gateway up again, the last transfers finish
    const StormTargets targets;
    KillStorm storm(seed, targets, region, parties, logs());
    const Clock::time_point stormStart = Clock::now();
    EXPECT_TRUE(storm.run()) << "the storm did not reach its targets within " << targets.limit.count()
                             << " s: " << storm.describeTargets();
    const std::string stormTime = sinceText(stormStart);
    storm.calm();
    const StormCounts& counts = storm.counts();
    Findings& unexpected = storm.unexpected();
    std::vector<GatewayProcess*> gateways = {&region, parties[0].gateway.get(), parties[1].gateway.get()};
    for (GatewayProcess* g : gateways) {
        EXPECT_TRUE(g->waitReady(30s)) << "after the storm, a gateway did not start again\n" << g->describe();
    }

    const Clock::time_point drainStart = Clock::now();
    std::string drainState;
    const bool drained = waitUntil(
        [&] {
            std::ostringstream state;
            bool done = true;
            for (const StormParty& sp : parties) {
                const auto outbox = readOutbox(sp.inst.stateDir());
                if (!outbox) return false;
                const auto waiting = std::count_if(outbox->begin(), outbox->end(), [](const OutboxEntry& e) {
                    return e.status != "receipted";
                });
                state << sp.inst.party << ": " << waiting << " of " << outbox->size() << " not receipted; ";
                done = done && waiting == 0;
            }
            for (GatewayProcess* d : gateways) {
                if (auto code = d->diedOnItsOwn()) {
                    unexpected.add(d->label() + " gateway ended by itself while draining, exit code " +
                                   std::to_string(*code) + "\n" + d->describe(8));
                    d->start();
                }
            }
            drainState = state.str();
            return done;
        },
        kDrainLimit);
    const std::string drainTime = sinceText(drainStart);
    EXPECT_TRUE(drained) << "the outboxes did not drain within " << kDrainLimit.count()
                         << " s: " << drainState << "\n"
                         << parties[0].gateway->describe() << parties[1].gateway->describe()
                         << region.describe();

    std::size_t expected = 0;
    for (const StormParty& sp : parties) {
        if (auto outbox = readOutbox(sp.inst.stateDir())) expected += outbox->size();
    }
    const bool sinkCaughtUp = waitUntil(
        [&] {
            const auto inbox = readInbox(regionDir() / "state");
            return inbox && inbox->size() >= expected &&
                   std::all_of(inbox->begin(), inbox->end(),
                               [](const InboxEntry& e) { return e.status == "delivered"; });
        },
        kSinkLimit);
    EXPECT_TRUE(sinkCaughtUp) << "the Region's sink did not take every batch within " << kSinkLimit.count()
                              << " s\n"
                              << region.describe();
    std::this_thread::sleep_for(500ms);  // a doubled hand-over to the sink gets its chance to show

    // --- a clean stop, a clean start, a clean stop: start-up tidies what the kills left
    for (GatewayProcess* d : gateways) {
        EXPECT_EQ(d->stop().value_or(-1), 0) << d->label() << " did not stop cleanly on SIGTERM\n"
                                             << d->describe();
    }
    for (GatewayProcess* d : gateways) {
        d->start();
        EXPECT_TRUE(d->waitReady(30s)) << d->describe();
    }
    std::this_thread::sleep_for(1500ms);
    for (GatewayProcess* d : gateways) {
        EXPECT_EQ(d->stop().value_or(-1), 0) << d->label() << " did not stop cleanly on SIGTERM\n"
                                             << d->describe();
    }

    // --- (a) every batch of every outbox is receipted, its receipt kept
    std::map<std::string, std::pair<std::string, std::uint64_t>> allBatches;  // id -> sender, record count
    Findings outboxes("outboxes");
    for (const StormParty& sp : parties) {
        std::string error;
        const auto outbox = readOutbox(sp.inst.stateDir(), &error);
        ASSERT_TRUE(outbox) << error;
        std::set<std::string> ids;
        for (const OutboxEntry& e : *outbox) {
            ids.insert(e.batchId);
            allBatches[e.batchId] = {sp.inst.party, e.recordCount};
            if (e.status != "receipted") {
                outboxes.add(sp.inst.party + " batch " + e.batchId + " is " + e.status + " after " +
                             e.attempts + " attempt(s); last error: " + e.lastError);
            } else if (!e.holdsReceipt) {
                outboxes.add(sp.inst.party + " batch " + e.batchId +
                             " is receipted but holds no signed receipt");
            }
            const auto job = std::find_if(sp.jobs.begin(), sp.jobs.end(),
                                          [&](const StormJob& j) { return j.name == e.job; });
            if (job == sp.jobs.end() || e.recordCount != static_cast<std::uint64_t>(job->rows)) {
                outboxes.add(sp.inst.party + " batch " + e.batchId + " of job " + e.job + " seals " +
                             std::to_string(e.recordCount) + " records; its export has " +
                             (job == sp.jobs.end() ? std::string("?") : std::to_string(job->rows)));
            }
        }
        for (const std::string& reported : sp.reportedBatches) {
            if (!ids.contains(reported))
                outboxes.add(sp.inst.party + " batch " + reported +
                             ", named by its transfer, is not in the outbox");
        }
    }
    EXPECT_TRUE(outboxes.empty()) << outboxes;
    EXPECT_GE(allBatches.size(), static_cast<std::size_t>(targets.batches));

    // --- (b) the sink holds each batch exactly once, whole, and nothing else
    const SinkView sink = readSink();
    Findings sinkFindings("the Region's sink (" + regionSink().string() + ")");
    for (const auto& [id, origin] : allBatches) {
        const auto it = sink.batches.find(id);
        if (it == sink.batches.end()) {
            sinkFindings.add("batch " + id + " from " + origin.first + " is missing");
            continue;
        }
        const SinkBatch& b = it->second;
        if (b.files != 1 || b.indexLines != 1)
            sinkFindings.add("batch " + id + ": " + std::to_string(b.files) + " file(s), " +
                             std::to_string(b.indexLines) + " index line(s)");
        if (b.sender != origin.first) sinkFindings.add("batch " + id + " filed under sender " + b.sender);
        if (b.fileRows != origin.second || b.indexedCount != origin.second)
            sinkFindings.add("batch " + id + ": " + std::to_string(b.fileRows) + " rows in its file, " +
                             std::to_string(b.indexedCount) + " in the index, " +
                             std::to_string(origin.second) + " sealed");
    }
    for (const auto& [id, b] : sink.batches) {
        if (!allBatches.contains(id)) sinkFindings.add("batch " + id + " is in no outbox");
    }
    for (const std::string& s : sink.strays) sinkFindings.add("stray: " + s);
    EXPECT_TRUE(sinkFindings.empty()) << sinkFindings;

    // --- (c) the Region's inbox holds each exactly once
    Findings inboxFindings("the Region's inbox");
    std::set<std::string> inboxIds;
    {
        std::string error;
        const auto inbox = readInbox(regionDir() / "state", &error);
        ASSERT_TRUE(inbox) << error;
        for (const InboxEntry& e : *inbox) {
            if (!inboxIds.insert(e.batchId).second) inboxFindings.add("batch " + e.batchId + " has two rows");
            const auto it = allBatches.find(e.batchId);
            if (it == allBatches.end()) {
                inboxFindings.add("batch " + e.batchId + " is in no outbox");
            } else if (e.sender != it->second.first || e.recordCount != it->second.second) {
                inboxFindings.add("batch " + e.batchId + " stored as from " + e.sender + " with " +
                                  std::to_string(e.recordCount) + " records");
            }
            if (e.status != "delivered")
                inboxFindings.add("batch " + e.batchId + " is " + e.status + " (sink error: " + e.sinkError +
                                  ")");
            if (!fs::is_directory(regionDir() / "state" / "inbox" / e.batchId))
                inboxFindings.add("batch " + e.batchId + " has a row but no folder");
        }
        for (const auto& [id, origin] : allBatches) {
            if (!inboxIds.contains(id))
                inboxFindings.add("batch " + id + " from " + origin.first + " is missing");
        }
    }
    EXPECT_TRUE(inboxFindings.empty()) << inboxFindings;

    // --- (d) every ledger verifies, and counts what it should
    const auto regionAudit = auditVerify(regionConfig(), "region");
    EXPECT_EQ(regionAudit.run.exitCode, 0) << regionAudit.run;
    EXPECT_EQ(regionAudit.batchesChecked, static_cast<long>(allBatches.size())) << regionAudit.run;
    for (const StormParty& sp : parties) {
        const auto audit = auditVerify(sp.inst.config, sp.inst.party);
        EXPECT_EQ(audit.run.exitCode, 0) << audit.run;
        const auto outbox = readOutbox(sp.inst.stateDir());
        EXPECT_EQ(audit.receiptsChecked, outbox ? static_cast<long>(outbox->size()) : -1) << audit.run;
    }

    // --- (d') each ledger tells each batch's story: sealed once and receipted at its sender, received
    // and handed to the sink at the Region. A kill may make an entry repeat (the Region received the
    // batch again), never go missing. A sealed batch that never entered the outbox is said discarded.
    Findings ledgers("ledger entries per batch");
    int doubleReceipts = 0;
    std::set<std::string> everyBatch;
    for (const StormParty& sp : parties) {
        std::set<std::string> ids;
        for (const auto& [id, origin] : allBatches) {
            if (origin.first == sp.inst.party) ids.insert(id);
        }
        everyBatch.insert(ids.begin(), ids.end());
        const LedgerTally tally = ledgerTally(sp.inst.config, sp.inst.party);
        expectLedgerEntries(ledgers, tally, sp.inst.party, "batch-sealed", ids, 1, 1);
        expectLedgerEntries(ledgers, tally, sp.inst.party, "batch-receipted", ids, 1, INT_MAX);
        if (tally.contains("batch-receipted")) {
            for (const auto& [id, n] : tally.at("batch-receipted")) doubleReceipts += n > 1 ? 1 : 0;
        }
        if (tally.contains("batch-sealed")) {
            for (const auto& [id, n] : tally.at("batch-sealed")) {
                const bool discarded =
                    tally.contains("batch-discarded") && tally.at("batch-discarded").contains(id);
                if (!ids.contains(id) && !discarded)
                    ledgers.add(sp.inst.party + " ledger: batch " + id +
                                " is sealed, in no outbox, and not said discarded");
            }
        }
    }
    {
        const LedgerTally tally = ledgerTally(regionConfig(), "region");
        expectLedgerEntries(ledgers, tally, kRegion, "batch-received", everyBatch, 1, INT_MAX);
        expectLedgerEntries(ledgers, tally, kRegion, "batch-handed-to-sink", everyBatch, 1, INT_MAX);
        if (tally.contains("batch-received")) {
            for (const auto& [id, n] : tally.at("batch-received")) {
                if (!everyBatch.contains(id))
                    ledgers.add(std::string(kRegion) + " ledger: received batch " + id + " is in no outbox");
            }
        }
    }
    EXPECT_TRUE(ledgers.empty()) << ledgers;

    // --- (e) nothing half-done left behind after a clean restart
    Findings leftovers("left behind after a clean restart");
    for (const StormParty& sp : parties) {
        std::set<std::string> ids;
        for (const auto& [id, origin] : allBatches) {
            if (origin.first == sp.inst.party) ids.insert(id);
        }
        for (const std::string& s : strayEntries(sp.inst.stateDir() / "outbox", ids))
            leftovers.add(sp.inst.party + " outbox: " + s);
        for (const std::string& s : orphanBatchState(sp.inst.stateDir(), ids))
            leftovers.add(sp.inst.party + " state of a batch that never entered the outbox: " + s);
    }
    for (const std::string& s : strayEntries(regionDir() / "state" / "inbox", inboxIds))
        leftovers.add("Region inbox: " + s);
    EXPECT_TRUE(leftovers.empty()) << leftovers;

    EXPECT_TRUE(unexpected.empty()) << unexpected;

    std::cout << "[ storm    ] seed " << seed << ": " << allBatches.size() << " batches ("
              << parties[0].inst.party << " "
              << std::count_if(allBatches.begin(), allBatches.end(),
                               [&](const auto& b) { return b.second.first == parties[0].inst.party; })
              << ", " << parties[1].inst.party << " "
              << std::count_if(allBatches.begin(), allBatches.end(),
                               [&](const auto& b) { return b.second.first == parties[1].inst.party; })
              << ")\n"
              << "[ storm    ] transfers: " << counts.launched << " launched, " << counts.receipted
              << " receipted at once, " << counts.queued << " left queued, " << counts.transferKills
              << " killed\n"
              << "[ storm    ] gateway kills: " << counts.regionKills << " Region, "
              << counts.institutionKills << " institution; " << counts.gatewayRestarts << " restarts\n"
              << "[ storm    ] evidence in the logs: " << countLogLines(logs(), "region.", "received again")
              << " repeated batches answered with their first receipt, "
              << countLogLines(logs(), "univ-", "not delivered", "connection refused")
              << " deliveries broken mid-exchange, "
              << countLogLines(logs(), "univ-", "was being sealed") +
                     countLogLines(logs(), "region.", "partial")
              << " start-up clean-ups of half-done batches, " << doubleReceipts
              << " batches receipted twice in their sender's ledger\n"
              << "[ storm    ] storm " << stormTime << ", drain " << drainTime << ", whole test "
              << sinceText(testStart) << std::endl;
}

}  // namespace
}  // namespace passerelle::integration
