// The acceptance test of issue 7: three institution-side and two Region-side gateway
// instances on one PostgreSQL server (one database per party), at least 1,000
// batches, one instance of each side killed midway and started again. Then every
// batch is in a sink exactly once, the Region's inbox holds exactly the institution's
// outbox, every ledger verifies and its root is the one recomputed here from its
// rows, and the instances' database role may not rewrite or delete ledger rows.
//
// PASSERELLE_INSTANCES_BATCHES=<n> changes the number of batches (1,000 by default).

#include <sys/resource.h>

#include <ctime>
#include <iomanip>

#include "exchange_checks.h"
#include "transfer_load.h"

namespace passerelle::integration {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kDrainLimit = 150s;  // after the load, for every batch to be receipted and handed to a sink
constexpr std::size_t kResent = 5;  // batches whose receipt is lost, sent again to the other Region instance

int batchTarget() {
    if (const char* n = std::getenv("PASSERELLE_INSTANCES_BATCHES"); n != nullptr && *n != '\0') {
        return std::max(10, std::stoi(n));
    }
    return 1000;
}

std::string seconds(std::chrono::milliseconds ms) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(1) << static_cast<double>(ms.count()) / 1000.0 << " s";
    return out.str();
}

std::chrono::milliseconds since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// CPU time (user and system) of the child processes reaped so far.
std::chrono::milliseconds childrenCpu() {
    rusage usage{};
    ::getrusage(RUSAGE_CHILDREN, &usage);
    auto ms = [](const timeval& t) { return std::chrono::milliseconds(t.tv_sec * 1000 + t.tv_usec / 1000); };
    return ms(usage.ru_utime) + ms(usage.ru_stime);
}

// As the ledger writes its entries' times: RFC 3339 UTC to the second.
std::string utcText(std::chrono::system_clock::time_point t) {
    const std::time_t s = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&s, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

// Lines of the logs of `label`'s runs from `fromRun` on that contain `phrase`.
int logLines(const fs::path& logDir, const std::string& label, int fromRun, const std::string& phrase) {
    int n = 0;
    for (int run = fromRun;; ++run) {
        const fs::path err = logDir / (label + ".run" + std::to_string(run) + ".err");
        if (!fs::exists(err)) return n;
        for (const std::string& line : lines(readFile(err)))
            n += line.find(phrase) != std::string::npos ? 1 : 0;
    }
}

// Unreceipted outbox batches whose files are in `folder`, and how many of them are claimed.
std::pair<std::size_t, std::size_t> unreceiptedIn(const std::string& conninfo, const std::string& folder) {
    std::pair<std::size_t, std::size_t> n{0, 0};
    for (const QueueRow& r : outboxRows(conninfo)) {
        if (r.filesFolderId != folder || r.status == "receipted") continue;
        ++n.first;
        n.second += r.owner.empty() ? 0 : 1;
    }
    return n;
}

// What the killed instances held when they went down, and what waited for them: the windows the kill hit.
struct AtTheKill {
    std::size_t regionStored = 0;        // inbox batches in the killed Region instance's folder, not yet sunk
    std::size_t regionClaimed = 0;       // ... of which its sink dispatcher had claimed
    std::size_t gatewaySessions = 0;     // sessions of the instances' login roles on the server
    std::size_t institutionPending = 0;  // unreceipted batches in the killed institution instance's folder
    std::size_t institutionClaimed = 0;  // ... of which a process had claimed (sending them)
    long pendingAtRestart = -1;  // ... still unreceipted when it came back: no other instance took them
};

// Timings for the report.
struct Timings {
    std::chrono::milliseconds loneTransfer{0};  // one transfer at a time, before the load
    std::chrono::milliseconds transfersCpu{0};  // the load's transfer processes, all together
    std::chrono::milliseconds drain{0};
};

class InstancesOnPostgres : public SharedDatabaseTest {
protected:
    // Every outbox row receipted, every inbox row handed to a sink; gateways that die meanwhile are
    // restarted.
    bool drain(const Deployment& inst, const Deployment& region, const std::vector<GatewayProcess*>& gateways,
               Findings& unexpected, std::string& state) {
        return waitUntil(
            [&] {
                const auto outbox = outboxRows(inst.ownerConninfo);
                const auto inbox = inboxRows(region.ownerConninfo);
                const auto unreceipted = std::count_if(
                    outbox.begin(), outbox.end(), [](const QueueRow& r) { return r.status != "receipted"; });
                const auto unsunk = std::count_if(inbox.begin(), inbox.end(),
                                                  [](const QueueRow& r) { return r.status != "delivered"; });
                state = std::to_string(unreceipted) + " of " + std::to_string(outbox.size()) +
                        " outbox batches not receipted, " + std::to_string(unsunk) + " of " +
                        std::to_string(inbox.size()) + " inbox batches not handed to a sink";
                for (GatewayProcess* g : gateways) {
                    if (auto code = g->diedOnItsOwn()) {
                        unexpected.add(g->label() + " gateway ended by itself while draining, exit code " +
                                       std::to_string(*code) + "\n" + g->describe(8));
                        g->start();
                    }
                }
                return unreceipted == 0 && unsunk == 0 && inbox.size() == outbox.size();
            },
            kDrainLimit);
    }

    // A receipt lost, so the batch is sent again, to the other Region instance: it must be
    // stored once and answered with the receipt of its first reception. The window (the
    // Region answered; the institution instance died before recording the answer) is too
    // narrow for a kill to hit on purpose, so its outcome is written here with libpq, as
    // the owner; then `sender`'s gateway, pointed at `other`, sends the batches again.
    // Returns the batches and their first receipts.
    std::map<std::string, std::string> resendAfterLostReceipt(const Deployment& inst, GatewayInstance& sender,
                                                              const GatewayInstance& other) {
        std::map<std::string, std::string> firstReceipt;
        EXPECT_EQ(sender.gateway->stop().value_or(-1), 0) << sender.gateway->describe();
        for (const PgRow& r : PostgresForTest::query(
                 inst.ownerConninfo,
                 "SELECT batch_id, receipt FROM outbox WHERE status = 'receipted' AND files_at = '" +
                     sender.folderId() + "' ORDER BY batch_id LIMIT " + std::to_string(kResent))) {
            firstReceipt[r.at(0).value_or("")] = r.at(1).value_or("");
        }
        EXPECT_EQ(firstReceipt.size(), kResent);
        std::string ids;
        for (const auto& [id, receipt] : firstReceipt) ids += (ids.empty() ? "'" : ", '") + id + "'";
        PostgresForTest::execute(
            inst.ownerConninfo,
            "UPDATE outbox SET status = 'pending', receipt = '', receipt_signature = '',"
            " receipted_at = '', next_attempt_at = 0, claim_owner = '', claimed_until = 0"
            " WHERE batch_id IN (" +
                ids + ")");
        const fs::path config = root() / (sender.label + "-via-" + other.label + ".ini");
        writeFile(config, withSetting(readFile(sender.config), "url",
                                      "https://localhost:" + std::to_string(other.port)));
        GatewayProcess resender(
            sender.label + "-via-" + other.label,
            {kPasserelle.string(), "run", "--config", config.string(), "--retry-every", "1"}, logs(),
            "institution gateway '" + std::string(kMontpellier) + "' running");
        resender.start();
        EXPECT_TRUE(resender.waitReady(30s)) << resender.describe();
        auto receiptNow = [&](const std::string& id) {
            const auto rows = PostgresForTest::query(
                inst.ownerConninfo, "SELECT status, receipt FROM outbox WHERE batch_id = '" + id + "'");
            return rows.empty() || rows[0][0] != "receipted" ? std::optional<std::string>() : rows[0][1];
        };
        const bool receipted = waitUntil(
            [&] {
                return std::all_of(firstReceipt.begin(), firstReceipt.end(),
                                   [&](const auto& b) { return receiptNow(b.first).has_value(); });
            },
            60s);
        EXPECT_TRUE(receipted) << "the batches sent again were not receipted\n" << resender.describe();
        EXPECT_EQ(resender.stop().value_or(-1), 0) << resender.describe();
        for (const auto& [id, receipt] : firstReceipt) {
            EXPECT_EQ(receiptNow(id).value_or(""), receipt)
                << "batch " << id << " sent again to " << other.label
                << " was not answered with the receipt of its first reception";
        }
        sender.gateway->start();
        EXPECT_TRUE(sender.gateway->waitReady(30s)) << sender.gateway->describe();
        return firstReceipt;
    }
};

TEST_F(InstancesOnPostgres, ThreeInstitutionAndTwoRegionInstancesDeliverEveryBatchOnceThroughKills) {
    const Clock::time_point testStart = Clock::now();
    const int target = batchTarget();

    // --- two databases on one server, the gateway group and a login role per party
    makePki({kRegion, kMontpellier});
    const std::string groupProblem = ensureGatewayGroup(postgres().server());
    ASSERT_TRUE(groupProblem.empty()) << groupProblem;
    Deployment region = newDeployment(kRegion, "passerelle_r_");
    Deployment inst = newDeployment(kMontpellier, "passerelle_i_");

    // --- the Region: instances a and b; the institution: instances 1 and 3 send to a, 2 to b
    const std::string both = std::string(kSurveyPurpose) + ", " + kStatisticsPurpose;
    deployRegion(region, {"a", "b"}, both);
    ExchangeFacts facts;
    facts.institution = &inst;
    facts.region = &region;
    facts.jobs = {{"load-1", kSurveyPurpose, 3}, {"load-2", kStatisticsPurpose, 4},
                  {"load-3", kSurveyPurpose, 5}, {"load-4", kStatisticsPurpose, 6},
                  {"load-5", kSurveyPurpose, 7}, {"load-6", kStatisticsPurpose, 8}};
    facts.routes = {0, 1, 0};
    facts.killedRegion = 1;
    std::string extra = fastDelivery();
    fs::path firstExport;
    for (std::size_t j = 0; j < facts.jobs.size(); ++j) {
        const LoadJob& job = facts.jobs[j];
        const fs::path file = makeExport(job.name, job.rows, 0, static_cast<int>(700 + j));
        if (j == 0) firstExport = file;
        extra += jobSection(job.name, job.purpose, file);
    }
    deployInstitution(inst, region, facts.routes, firstExport, extra);
    ASSERT_FALSE(HasFailure());
    makeSchema(region);
    makeSchema(inst);
    ASSERT_FALSE(HasFailure());

    GatewayInstance& regionB = region.instances[facts.killedRegion];
    GatewayInstance& institution2 = inst.instances[1];
    std::vector<GatewayProcess*> gateways = region.gateways();
    for (GatewayProcess* g : inst.gateways()) gateways.push_back(g);
    for (GatewayProcess* g : gateways) {
        g->start();
        ASSERT_TRUE(g->waitReady(30s)) << g->describe();
    }
    std::set<std::string> folders;
    for (Deployment* d : {&region, &inst}) {
        for (const GatewayInstance& i : d->instances) folders.insert(i.folderId());
    }
    ASSERT_EQ(folders.size(), 5u) << "each instance's state folder has its own id";

    // One calm transfer per instance first: a load on a broken set-up would only be noise.
    Timings timings;
    const Clock::time_point calmStart = Clock::now();
    for (std::size_t n = 0; n < inst.instances.size(); ++n) {
        const auto r = passerelle({"transfer", "--config", inst.instances[n].config.string(), "--job",
                                   facts.jobs[0].name, "--json"},
                                  inst.instances[n].label + ".transfer-calm");
        ASSERT_EQ(r.exitCode, 0) << "a transfer before any fault failed\n" << r;
        facts.sealedBy[parseJson(r.out)->optValue<std::string>("batch_id", "")] = n;
    }
    timings.loneTransfer = since(calmStart) / 3;

    // --- the load, with the kill midway
    LoadPlan plan;
    plan.batches = target;
    plan.killAfter = target * 2 / 5;
    std::vector<GatewayInstance*> institutions;
    for (GatewayInstance& i : inst.instances) institutions.push_back(&i);
    TransferLoad load(plan, institutions, facts.jobs, {regionB.gateway.get(), 1}, gateways, logs());
    AtTheKill atTheKill;
    const std::string regionBFolder = regionB.folderId();
    const std::string institution2Folder = institution2.folderId();
    KillObservers observers;
    observers.regionKilled = [&] {
        for (const QueueRow& r : inboxRows(region.ownerConninfo)) {
            if (r.filesFolderId != regionBFolder || r.status != "stored") continue;
            ++atTheKill.regionStored;
            atTheKill.regionClaimed += r.owner.empty() ? 0 : 1;
        }
        const auto sessions = PostgresForTest::query(
            postgres().server(), "SELECT count(*) FROM pg_stat_activity WHERE usename IN ('" + region.role +
                                     "', '" + inst.role + "')");
        atTheKill.gatewaySessions = std::stoul(sessions[0][0].value_or("0"));
    };
    observers.institutionKilled = [&] {
        std::tie(atTheKill.institutionPending, atTheKill.institutionClaimed) =
            unreceiptedIn(inst.ownerConninfo, institution2Folder);
    };
    observers.institutionRestarting = [&] {
        atTheKill.pendingAtRestart =
            static_cast<long>(unreceiptedIn(inst.ownerConninfo, institution2Folder).first);
    };
    load.observe(observers);
    const std::chrono::milliseconds cpuBefore = childrenCpu();
    const bool settled = load.run();
    timings.transfersCpu = childrenCpu() - cpuBefore;  // the transfers were reaped as they ended
    const LoadCounts& counts = load.counts();
    EXPECT_TRUE(settled) << "the transfers did not all settle within " << plan.limit.count() << " s ("
                         << counts.launched << " launched)";
    EXPECT_GE(counts.settledAtKill, 0) << "the kill never came";
    EXPECT_GT(atTheKill.gatewaySessions, 0u) << "no session of the instances' login roles on the server";
    for (const auto& [batch, n] : load.batches()) facts.sealedBy[batch] = n;
    facts.killTime = utcText(counts.killedAt + 1s);
    for (GatewayProcess* g : gateways) {
        EXPECT_TRUE(g->waitReady(30s)) << "after the load, a gateway did not start again\n" << g->describe();
    }

    const Clock::time_point drainStart = Clock::now();
    std::string drainState;
    EXPECT_TRUE(drain(inst, region, gateways, load.unexpected(), drainState))
        << "not drained within " << kDrainLimit.count() << " s: " << drainState << "\n"
        << institution2.gateway->describe() << regionB.gateway->describe();
    timings.drain = since(drainStart);

    const auto resent = resendAfterLostReceipt(inst, inst.instances[0], regionB);
    for (const auto& [id, receipt] : resent) facts.resent.insert(id);
    const int answeredAgain = logLines(logs(), regionB.label, 1, "received again");
    EXPECT_GE(answeredAgain, static_cast<int>(kResent))
        << regionB.label << " did not say it received them again";

    std::this_thread::sleep_for(500ms);  // a doubled hand-over to a sink gets its chance to show
    for (GatewayProcess* g : gateways) {
        EXPECT_EQ(g->stop().value_or(-1), 0) << g->label() << " did not stop cleanly on SIGTERM\n"
                                             << g->describe();
    }

    // --- the outbox, the sinks and the inbox: every batch receipted, in one sink, stored once
    std::map<std::string, QueueRow> outbox;
    std::map<std::string, std::string> outboxFilesAt, inboxFilesAt;
    for (QueueRow& r : outboxRows(inst.ownerConninfo)) {
        outboxFilesAt[r.batchId] = r.filesFolderId;
        outbox[r.batchId] = r;
    }
    const std::vector<QueueRow> inbox = inboxRows(region.ownerConninfo);
    for (const QueueRow& r : inbox) inboxFilesAt[r.batchId] = r.filesFolderId;
    std::vector<SinkView> sinks;
    for (const GatewayInstance& r : region.instances) sinks.push_back(readSinkFolder(r.sink));
    const Findings outboxProblems = outboxFindings(facts, outbox);
    EXPECT_TRUE(outboxProblems.empty()) << outboxProblems;
    EXPECT_GE(outbox.size(), static_cast<std::size_t>(target));
    const Findings sinkProblems = sinkFindings(facts, outbox, sinks);
    EXPECT_TRUE(sinkProblems.empty()) << sinkProblems;
    const Findings inboxProblems = inboxFindings(facts, outbox, inbox);
    EXPECT_TRUE(inboxProblems.empty()) << inboxProblems;

    // --- each ledger recomputed here from its rows; `audit verify` agrees, from every instance
    std::vector<PartyLedger> ledgers;
    for (const Deployment* d : {&inst, &region}) {
        PartyLedger l{d, readLedgerRows(d->ownerConninfo), {}};
        l.recomputed = recomputeLedger(l.rows);
        EXPECT_TRUE(l.recomputed.problem.empty()) << d->party << " ledger: " << l.recomputed.problem;
        ASSERT_FALSE(l.rows.empty()) << d->party << " ledger is empty";
        EXPECT_EQ(l.recomputed.root, l.rows.back().rootHash) << d->party << ": the last row's stored root";
        for (const GatewayInstance& i : d->instances) {
            const AuditWithRoot a = auditWithRoot(i);
            EXPECT_EQ(a.audit.run.exitCode, 0)
                << "audit verify from " << i.label << " failed: "
                << summariseAudit(a.audit.run.out, d == &inst ? outboxFilesAt : inboxFilesAt, i.folderId());
            EXPECT_EQ(a.root, l.recomputed.root) << i.label << ": the root audit verify reports\n"
                                                 << a.audit.run.out;
            EXPECT_EQ(a.entries, static_cast<long>(l.rows.size())) << i.label << "\n" << a.audit.run.out;
        }
        ledgers.push_back(std::move(l));
    }
    const LedgerStories stories = ledgerStories(facts, outbox, ledgers[0], ledgers[1]);
    EXPECT_TRUE(stories.findings.empty()) << stories.findings;

    // --- the instances' role may append to the ledger, not rewrite or delete it
    for (const PartyLedger& l : ledgers) {
        const Findings roleProblems = roleFindings(*l.party, l.recomputed.root);
        EXPECT_TRUE(roleProblems.empty()) << roleProblems;
    }
    EXPECT_TRUE(load.unexpected().empty()) << load.unexpected();

    // --- the report
    const int transfers = counts.receipted + counts.queued;
    std::ostringstream failures;
    for (const auto& [reason, n] : stories.failedDeliveries) failures << " " << n << " x '" << reason << "';";
    std::cout << "[ instances ] " << outbox.size() << " batches (" << target << " in the load:";
    for (std::size_t n = 0; n < inst.instances.size(); ++n)
        std::cout << (n == 0 ? " " : ", ") << inst.instances[n].label << " " << counts.sealedPerInstance[n];
    std::cout << "; 3 calm ones before it)\n"
              << "[ instances ] load " << seconds(counts.elapsed) << ", " << plan.parallel
              << " transfers at a time on 2 cores: " << seconds(counts.transferTime / std::max(transfers, 1))
              << " per transfer on average (slowest " << seconds(counts.slowestTransfer) << "), "
              << std::fixed << std::setprecision(1)
              << 1000.0 * transfers / std::max<double>(1, counts.elapsed.count()) << " batches/s; drain "
              << seconds(timings.drain) << "; whole test " << seconds(since(testStart)) << "\n"
              << "[ instances ] a transfer alone takes " << seconds(timings.loneTransfer)
              << "; in the load, the transfer processes used "
              << timings.transfersCpu.count() / std::max(transfers, 1)
              << " ms of CPU each (besides what the gateways and PostgreSQL spent on them)\n"
              << "[ instances ] kill after " << counts.settledAtKill << " batches settled: " << regionB.label
              << " SIGKILLed, back after " << seconds(plan.regionDownFor) << "; " << institution2.label
              << " (its gateway SIGKILLed, no transfer started on it) down "
              << seconds(plan.institutionKillDelay) << " later, for " << seconds(counts.institutionDown)
              << "; " << counts.restarts << " restart(s)\n"
              << "[ instances ] at the kill: " << regionB.label << " held " << atTheKill.regionStored
              << " batch(es) awaiting its sink (" << atTheKill.regionClaimed
              << " claimed by its dispatcher); " << atTheKill.gatewaySessions
              << " sessions of the gateway roles were open\n"
              << "[ instances ] " << counts.queued << " transfers left their batch queued ("
              << counts.queuedConnectionRefused << " refused by the Region instance while down, "
              << counts.queued - counts.queuedConnectionRefused << " other errors, e.g. cut mid-exchange); "
              << institution2.label << " held " << atTheKill.institutionPending << " unreceipted batch(es) ("
              << atTheKill.institutionClaimed << " claimed) when it went down, " << atTheKill.pendingAtRestart
              << " still waiting for it when it came back\n"
              << "[ instances ] since their restart, " << institution2.label << "'s gateway receipted "
              << logLines(logs(), institution2.label, 2, "receipted by") << " batch(es), " << regionB.label
              << "'s handed " << logLines(logs(), regionB.label, 2, "handed to") << " to its sink\n"
              << "[ instances ] failed deliveries:" << (failures.str().empty() ? " none" : failures.str())
              << "\n"
              << "[ instances ] " << resent.size() << " batches whose receipt was lost, sent again via "
              << regionB.label << ": answered with their first receipt (" << answeredAgain
              << " 'received again' in its logs)\n"
              << "[ instances ] " << stories.receivedTwice << " batch(es) received twice and "
              << stories.handedTwice << " handed to the sink twice because of the kill, "
              << stories.receiptedTwice << " other(s) receipted twice at the institution\n"
              << "[ instances ] ledgers: " << kMontpellier << " " << ledgers[0].recomputed.entries
              << " entries, root " << ledgers[0].recomputed.root << "; " << kRegion << " "
              << ledgers[1].recomputed.entries << " entries, root " << ledgers[1].recomputed.root
              << std::endl;
}

}  // namespace
}  // namespace passerelle::integration
