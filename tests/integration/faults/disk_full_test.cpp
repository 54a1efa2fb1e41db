// The Region's disk is full (issue 5): its state folder is a small tmpfs,
// filled until a batch no longer fits. The transfer fails with a clear error
// (507 storage_unavailable), the batch stays queued at the institution, the
// Region's ledger still verifies; once space returns the batch is delivered,
// once. A real file system, really full: when the test may not mount one, it
// says so and skips rather than pretend.

#include "fault_fixture.h"

namespace passerelle::integration {
namespace {

constexpr int kRows = 2000;
constexpr std::uint64_t kTmpfsBytes = 16 << 20;
constexpr std::uint64_t kLeftFree = 64 << 10;  // room for a ledger entry, not for a batch

TEST_F(FaultInjection, ReceiverDiskFull) {
    const fs::path regionState = regionDir() / "state";
    if (const auto why = mountTmpfs(regionState, kTmpfsBytes)) {
        GTEST_SKIP() << "cannot mount a tmpfs on the Region's state folder (" << *why
                     << "): the real full-disk test needs root with CAP_SYS_ADMIN, and nothing mocks it";
    }
    fs::path exportFile;
    Institution inst = configureMontpellier(kRows, 41, exportFile);
    ASSERT_FALSE(HasFailure());

    GatewayProcess region = regionGateway();
    const int port = startRegionForPort(region);
    ASSERT_GT(port, 0);
    inst = writeInstitutionConfig(kMontpellier, kMontpellier, port, exportFile);
    appendToFile(inst.config, fastDelivery());
    const std::vector<std::string> transfer = {"transfer", "--config",       inst.config.string(),
                                               "--job",    "survey-contact", "--json"};

    // While there is room, a batch goes through.
    const auto roomy = passerelle(transfer, "transfer-with-room", 120s);
    ASSERT_EQ(roomy.exitCode, 0) << roomy;
    const std::string firstBatch = parseJson(roomy.out)->optValue<std::string>("batch_id", "");

    fillUp(regionState, kLeftFree);
    ASSERT_FALSE(HasFatalFailure());

    // Full: the Region says so, and keeps nothing of the batch.
    const auto full = passerelle(transfer, "transfer-disk-full", 120s);
    EXPECT_EQ(full.exitCode, 1) << full;
    const auto summary = parseJson(full.out);
    const std::string error = summary->optValue<std::string>("error", "");
    EXPECT_NE(error.find("storage_unavailable"), std::string::npos)
        << "the error must say the Region cannot store the batch (507 storage_unavailable): " << error;
    std::cout << "[ full     ] " << error << std::endl;
    const std::string batch = summary->optValue<std::string>("batch_id", "");
    ASSERT_FALSE(batch.empty()) << full;
    ASSERT_GT(folderBytes(inst.stateDir() / "outbox" / batch), 4 * kLeftFree)
        << "the batch would nearly fit in the room left; raise kRows";
    EXPECT_TRUE(region.running()) << "a full disk must not stop the Region's gateway\n" << region.describe();
    const fs::path inbox = regionState / "inbox";
    EXPECT_TRUE(waitUntil([&] { return strayEntries(inbox, {firstBatch}).empty(); }, 10s))
        << "a partial batch stays in the Region's full inbox: " << strayEntries(inbox, {firstBatch}).front();
    const auto fullAudit = auditVerify(regionConfig(), "region.full");
    EXPECT_EQ(fullAudit.run.exitCode, 0) << "the Region's ledger must still verify on a full disk\n"
                                         << fullAudit.run;

    // The institution's gateway keeps the batch and keeps trying.
    GatewayProcess institution = institutionGateway(inst);
    institution.start();
    ASSERT_TRUE(institution.waitReady(15s)) << institution.describe();
    std::this_thread::sleep_for(4s);
    {
        std::string readError;
        const auto outbox = readOutbox(inst.stateDir(), &readError);
        ASSERT_TRUE(outbox) << readError;
        const auto it = std::find_if(outbox->begin(), outbox->end(),
                                     [&](const OutboxEntry& e) { return e.batchId == batch; });
        ASSERT_NE(it, outbox->end()) << "the batch left the outbox";
        EXPECT_EQ(it->status, "pending") << "while the Region's disk is full";
        EXPECT_NE(it->lastError.find("storage_unavailable"), std::string::npos) << it->lastError;
        std::cout << "[ full     ] " << it->attempts << " attempt(s) while full" << std::endl;
    }
    EXPECT_TRUE(region.running()) << region.describe();

    // Space returns: the batch goes through, once.
    fs::remove(regionState / "filler");
    const bool delivered = waitUntil(
        [&] {
            const SinkView sink = readSink();
            const auto it = sink.batches.find(batch);
            return it != sink.batches.end() && it->second.files == 1 && it->second.indexLines == 1;
        },
        30s);
    EXPECT_TRUE(delivered) << "the batch was not delivered within 30 s of space returning\n"
                           << institution.describe() << region.describe();
    std::this_thread::sleep_for(2500ms);  // more rounds: a receipted batch is not sent again
    EXPECT_EQ(institution.stop().value_or(-1), 0) << institution.describe();
    EXPECT_EQ(region.stop().value_or(-1), 0) << region.describe();

    const auto outbox = readOutbox(inst.stateDir());
    ASSERT_TRUE(outbox);
    for (const OutboxEntry& e : *outbox) {
        EXPECT_EQ(e.status, "receipted") << e.batchId;
        EXPECT_TRUE(e.holdsReceipt) << e.batchId;
    }
    const SinkView sink = readSink();
    EXPECT_EQ(sink.batches.size(), 2u);
    for (const auto& [id, b] : sink.batches) {
        EXPECT_EQ(b.files, 1) << id;
        EXPECT_EQ(b.indexLines, 1) << id;
        EXPECT_EQ(b.fileRows, static_cast<std::uint64_t>(kRows)) << id;
    }
    EXPECT_TRUE(sink.strays.empty());
    const auto stored = readInbox(regionState);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->size(), 2u);
    const auto strays = strayEntries(inbox, {firstBatch, batch});
    EXPECT_TRUE(strays.empty()) << "left in the Region's inbox: " << strays.front();

    expectEachDeliveredOnce(inst, {firstBatch, batch});
}

}  // namespace
}  // namespace passerelle::integration
