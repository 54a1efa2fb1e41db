// The Region's gateway stops for a while (issue 5): transfers made meanwhile
// fail, naming the Region, and leave their batches queued; the institution's
// gateway keeps retrying with back-off, and once the Region is back every
// queued batch goes through, once.

#include "fault_fixture.h"

namespace passerelle::integration {
namespace {

constexpr int kRows = 9;
constexpr int kTransfersWhileDown = 6;
constexpr auto kDowntime = 10s;

TEST_F(FaultInjection, RegionDownThenBack) {
    makePki({kRegion, kMontpellier});
    const int port = restartablePort();
    writeRegionConfig({{kMontpellier}}, "127.0.0.1:" + std::to_string(port));
    keysInit(regionConfig(), "region");
    const fs::path exportFile = makeExport(kMontpellier, kRows, 0, 21);
    Institution inst = writeInstitutionConfig(kMontpellier, kMontpellier, port, exportFile);
    appendToFile(inst.config, fastDelivery());
    keysInit(inst.config, kMontpellier);
    ASSERT_FALSE(HasFailure());
    const std::string url = "https://localhost:" + std::to_string(port);
    const std::vector<std::string> transfer = {"transfer", "--config",       inst.config.string(),
                                               "--job",    "survey-contact", "--json"};

    GatewayProcess region = regionGateway();
    region.start();
    ASSERT_TRUE(region.waitReady(15s)) << region.describe();
    GatewayProcess institution = institutionGateway(inst);
    institution.start();
    ASSERT_TRUE(institution.waitReady(15s)) << institution.describe();

    std::set<std::string> batches;
    const auto before = passerelle(transfer, "transfer-before");
    ASSERT_EQ(before.exitCode, 0) << before;
    batches.insert(parseJson(before.out)->optValue<std::string>("batch_id", ""));

    // The Region stops; transfers go on.
    ASSERT_EQ(region.stop().value_or(-1), 0) << region.describe();
    const auto downSince = std::chrono::steady_clock::now();
    std::set<std::string> queued;
    for (int i = 0; i < kTransfersWhileDown; ++i) {
        const auto r = passerelle(transfer, "transfer-while-down" + std::to_string(i));
        EXPECT_EQ(r.exitCode, 1) << r;
        const auto summary = parseJson(r.out);
        EXPECT_FALSE(summary->optValue("receipted", true));
        const std::string error = summary->optValue<std::string>("error", "");
        EXPECT_NE(error.find(url), std::string::npos) << "the error must name the Region's URL: " << error;
        EXPECT_NE(error.find("connection refused"), std::string::npos) << error;
        const std::string id = summary->optValue<std::string>("batch_id", "");
        ASSERT_FALSE(id.empty()) << r;
        queued.insert(id);
        std::this_thread::sleep_for(kDowntime / (kTransfersWhileDown + 1));
    }
    std::this_thread::sleep_until(downSince + kDowntime);

    // Meanwhile they wait in the outbox, retried and not given up on.
    {
        std::string error;
        const auto outbox = readOutbox(inst.stateDir(), &error);
        ASSERT_TRUE(outbox) << error;
        for (const OutboxEntry& e : *outbox) {
            if (!queued.contains(e.batchId)) continue;
            EXPECT_EQ(e.status, "pending") << "batch " << e.batchId << " while the Region is down";
            EXPECT_NE(e.lastError.find(url), std::string::npos) << e.lastError;
            std::cout << "[ down     ] batch " << e.batchId << ": " << e.attempts << " attempt(s) in "
                      << kDowntime.count() << " s" << std::endl;
        }
    }
    EXPECT_TRUE(institution.running()) << "the institution's gateway must outlive the Region's absence\n"
                                       << institution.describe();

    // The Region is back on the same port: the queue empties without anyone's help.
    region.start();
    ASSERT_TRUE(region.waitReady(15s)) << region.describe();
    const auto backSince = std::chrono::steady_clock::now();
    batches.insert(queued.begin(), queued.end());
    const bool delivered = waitUntil(
        [&] {
            const auto outbox = readOutbox(inst.stateDir());
            return outbox && std::all_of(outbox->begin(), outbox->end(),
                                         [](const OutboxEntry& e) { return e.status == "receipted"; });
        },
        30s);
    EXPECT_TRUE(delivered) << "the queued batches were not receipted within 30 s of the Region's return\n"
                           << institution.describe() << region.describe();
    std::cout << "[ down     ] queue emptied "
              << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                       backSince)
                     .count()
              << " ms after the Region came back" << std::endl;
    const bool inSink = waitUntil(
        [&] {
            const SinkView sink = readSink();
            return std::all_of(batches.begin(), batches.end(), [&](const std::string& id) {
                const auto it = sink.batches.find(id);
                return it != sink.batches.end() && it->second.files == 1 && it->second.indexLines == 1;
            });
        },
        15s);
    EXPECT_TRUE(inSink) << region.describe();
    // A few more rounds: a receipted batch must not be sent again.
    std::this_thread::sleep_for(3s);
    EXPECT_EQ(institution.stop().value_or(-1), 0) << institution.describe();
    EXPECT_EQ(region.stop().value_or(-1), 0) << region.describe();

    const SinkView sink = readSink();
    EXPECT_EQ(sink.batches.size(), batches.size());
    EXPECT_TRUE(sink.strays.empty()) << sink.strays.front();
    for (const std::string& id : batches) {
        const auto it = sink.batches.find(id);
        ASSERT_NE(it, sink.batches.end()) << "batch " << id << " is not in the sink";
        EXPECT_EQ(it->second.files, 1) << id;
        EXPECT_EQ(it->second.indexLines, 1) << id;
        EXPECT_EQ(it->second.fileRows, static_cast<std::uint64_t>(kRows)) << id;
    }
    const auto inbox = readInbox(regionDir() / "state");
    ASSERT_TRUE(inbox);
    EXPECT_EQ(inbox->size(), batches.size());
    for (const InboxEntry& e : *inbox) EXPECT_TRUE(batches.contains(e.batchId)) << e.batchId;

    // Nothing sent twice: one reception and one hand-over at the Region, one receipt at the sender.
    expectEachDeliveredOnce(inst, batches);
}

}  // namespace
}  // namespace passerelle::integration
