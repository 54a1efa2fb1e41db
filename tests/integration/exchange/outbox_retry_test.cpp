// A batch sealed while the Region is down waits in the outbox, is delivered
// once the Region is back, and is never delivered twice.

#include "../support/exchange_fixture.h"

namespace passerelle::integration {
namespace {

constexpr int kRows = 40;

class OutboxRetryTest : public ExchangeTest {};

TEST_F(OutboxRetryTest, BatchSealedWhileRegionIsDownIsDeliveredLaterExactlyOnce) {
    makePki({kRegion, "univ-montpellier"});
    writeRegionConfig({{"univ-montpellier"}});
    keysInit(regionConfig(), "region");
    const fs::path exportFile = makeExport("univ-montpellier", kRows, 0, 3);
    Institution inst = writeInstitutionConfig("univ-montpellier", "univ-montpellier", 0, exportFile);
    keysInit(inst.config, "univ-montpellier");
    ASSERT_FALSE(HasFailure());

    // Learn a free port from a first run, then stop the Region: nothing listens there now.
    int port = 0;
    {
        auto region = startRegion("region.first");
        ASSERT_TRUE(region);
        port = region->port();
        stopGateway(region->process());
    }
    writeRegionConfig({{"univ-montpellier"}}, "127.0.0.1:" + std::to_string(port));
    inst = writeInstitutionConfig("univ-montpellier", "univ-montpellier", port, exportFile);
    const std::string url = "https://localhost:" + std::to_string(port);

    const auto down =
        passerelle({"transfer", "--config", inst.config.string(), "--job", "survey-contact", "--json"},
                   "univ-montpellier.transfer-while-down");
    EXPECT_EQ(down.exitCode, 1) << down;
    const auto failed = parseJson(down.out);
    EXPECT_FALSE(failed->optValue("receipted", true));
    const std::string error = failed->optValue<std::string>("error", "");
    EXPECT_NE(error.find(url), std::string::npos) << "the error must name the peer URL: " << error;
    EXPECT_NE(error.find("connection refused"), std::string::npos) << error;
    const std::string firstBatch = failed->optValue<std::string>("batch_id", "");
    ASSERT_FALSE(firstBatch.empty()) << down;
    EXPECT_TRUE(fs::is_directory(inst.stateDir() / "outbox" / firstBatch))
        << "the batch must stay in the outbox";

    // The Region comes back on the same port; the institution's gateway retries every second.
    auto region = startRegion("region.second");
    ASSERT_TRUE(region);
    ASSERT_EQ(region->port(), port);
    {
        ChildProcess institution(
            {kPasserelle.string(), "run", "--config", inst.config.string(), "--retry-every", "1"},
            logs() / "univ-montpellier.run");
        const fs::path firstFile = regionSink() / ("univ-montpellier_" + firstBatch + ".csv");
        EXPECT_TRUE(waitUntil([&] { return fs::exists(firstFile); }, 15s))
            << "the waiting batch never reached the Region's survey files\n--- institution log ---\n"
            << institution.err() << "\n--- region log ---\n"
            << region->log();
        // Let it run a few more rounds: a receipted batch must not be sent again.
        std::this_thread::sleep_for(2500ms);
        stopGateway(institution);
    }
    const auto audit =
        passerelle({"audit", "verify", "--config", inst.config.string()}, "univ-montpellier.audit");
    EXPECT_EQ(audit.exitCode, 0) << audit;
    EXPECT_NE(audit.out.find("receipts checked: 1"), std::string::npos) << audit;

    // The same job again: a new batch; nothing older is waiting.
    const auto again =
        passerelle({"transfer", "--config", inst.config.string(), "--job", "survey-contact", "--json"},
                   "univ-montpellier.transfer-again");
    ASSERT_EQ(again.exitCode, 0) << again;
    const auto second = parseJson(again.out);
    const std::string secondBatch = second->optValue<std::string>("batch_id", "");
    EXPECT_FALSE(secondBatch.empty());
    EXPECT_NE(secondBatch, firstBatch) << "a second transfer of the same job must be a new batch";
    EXPECT_EQ(second->optValue<int>("older_batches_delivered", -1), 0);
    const fs::path secondFile = regionSink() / ("univ-montpellier_" + secondBatch + ".csv");
    EXPECT_TRUE(waitUntil([&] { return fs::exists(secondFile); }, 15s)) << region->log();
    // The receiver's sink hand-over is asynchronous; give a doubled delivery the chance to show.
    std::this_thread::sleep_for(300ms);
    stopGateway(region->process());

    // Nothing lost, nothing doubled: one file per batch, one index line per batch.
    const auto files = sinkBatchFiles();
    EXPECT_EQ(files.size(), 2u);
    for (const fs::path& f : files) {
        EXPECT_EQ(lines(readFile(f)).size(), static_cast<std::size_t>(kRows) + 1) << f;
    }
    const auto index = lines(readFile(regionSink() / "index.csv"));
    ASSERT_EQ(index.size(), 3u) << "index.csv: a header and one line per batch";
    std::set<std::string> indexedBatches;
    for (std::size_t i = 1; i < index.size(); ++i)
        indexedBatches.insert(index[i].substr(0, index[i].find(',')));
    EXPECT_EQ(indexedBatches, (std::set<std::string>{firstBatch, secondBatch}));

    const auto regionAudit =
        passerelle({"audit", "verify", "--config", regionConfig().string()}, "region.audit");
    EXPECT_EQ(regionAudit.exitCode, 0) << regionAudit;
    EXPECT_NE(regionAudit.out.find("stored batches checked: 2"), std::string::npos) << regionAudit;
}

}  // namespace
}  // namespace passerelle::integration
