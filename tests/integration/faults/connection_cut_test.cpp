// The line to the Region goes dead in the middle of a batch (issue 5): a TCP
// relay between the institution and the Region (TLS passes through it
// untouched) cuts the first upload part-way through its body. The transfer
// fails, naming the Region; the Region keeps nothing of the half batch; the
// institution's gateway retries through the relay, now whole, and the batch
// arrives once.

#include "fault_fixture.h"

namespace passerelle::integration {
namespace {

// Large enough that the cut lands well inside the body: the TLS handshake and
// the request head are a few kilobytes, the sealed batch far more than 2 x kCutAt.
constexpr int kRows = 4000;
constexpr std::uint64_t kCutAt = 64 << 10;

}  // namespace

void FaultInjection::cutMidBodyThenRetry(CuttingRelay::Cut style) {
    fs::path exportFile;
    Institution inst = configureMontpellier(kRows, 31, exportFile);
    ASSERT_FALSE(HasFailure());

    GatewayProcess region = regionGateway();
    const int port = startRegionForPort(region);
    ASSERT_GT(port, 0);
    CuttingRelay relay(port);
    relay.cutAfter(kCutAt, style);
    inst = writeInstitutionConfig(kMontpellier, kMontpellier, relay.port(), exportFile);
    appendToFile(inst.config, fastDelivery());
    const std::string url = "https://localhost:" + std::to_string(relay.port());

    // The first attempt is cut.
    const auto first =
        passerelle({"transfer", "--config", inst.config.string(), "--job", "survey-contact", "--json"},
                   "transfer-cut", 120s);
    EXPECT_EQ(first.exitCode, 1) << first;
    EXPECT_EQ(relay.cut(), 1) << "the relay never saw " << kCutAt << " bytes on one connection";
    const auto summary = parseJson(first.out);
    const std::string error = summary->optValue<std::string>("error", "");
    EXPECT_TRUE(error.find(url) != std::string::npos || error.find(kRegion) != std::string::npos)
        << "the error must name the peer (" << url << " or " << kRegion << "): " << error;
    const std::string batch = summary->optValue<std::string>("batch_id", "");
    ASSERT_FALSE(batch.empty()) << first;
    const std::uint64_t batchBytes = folderBytes(inst.stateDir() / "outbox" / batch);
    ASSERT_GT(batchBytes, 2 * kCutAt)
        << "the batch is too small for the cut to land inside its body; raise kRows";
    std::cout << "[ cut      ] " << (style == CuttingRelay::Cut::Reset ? "reset" : "closed") << " after "
              << kCutAt << " bytes of a " << batchBytes << "-byte batch: " << error << std::endl;

    // The Region drops the half batch at once: no staging folder, no row, no file.
    const fs::path inbox = regionDir() / "state" / "inbox";
    EXPECT_TRUE(waitUntil([&] { return strayEntries(inbox, {}).empty(); }, 10s))
        << "a staging folder of the cut upload stays in the Region's inbox: "
        << strayEntries(inbox, {}).front();
    EXPECT_TRUE(readSink().batches.empty());
    EXPECT_TRUE(region.running()) << region.describe();

    // The institution's gateway retries through the relay, which now relays everything.
    GatewayProcess institution = institutionGateway(inst);
    institution.start();
    ASSERT_TRUE(institution.waitReady(15s)) << institution.describe();
    const bool delivered = waitUntil(
        [&] {
            const SinkView sink = readSink();
            const auto it = sink.batches.find(batch);
            return it != sink.batches.end() && it->second.files == 1 && it->second.indexLines == 1;
        },
        60s);
    EXPECT_TRUE(delivered) << institution.describe() << region.describe();
    std::this_thread::sleep_for(2500ms);  // more rounds: a receipted batch is not sent again
    EXPECT_EQ(institution.stop().value_or(-1), 0) << institution.describe();
    EXPECT_EQ(region.stop().value_or(-1), 0) << region.describe();

    const auto outbox = readOutbox(inst.stateDir());
    ASSERT_TRUE(outbox);
    ASSERT_EQ(outbox->size(), 1u);
    EXPECT_EQ(outbox->front().status, "receipted");
    EXPECT_TRUE(outbox->front().holdsReceipt);
    EXPECT_EQ(relay.cut(), 1);

    const SinkView sink = readSink();
    ASSERT_EQ(sink.batches.size(), 1u);
    EXPECT_EQ(sink.batches.begin()->first, batch);
    EXPECT_EQ(sink.batches.begin()->second.fileRows, static_cast<std::uint64_t>(kRows));
    EXPECT_TRUE(sink.strays.empty());
    const auto stored = readInbox(regionDir() / "state");
    ASSERT_TRUE(stored);
    ASSERT_EQ(stored->size(), 1u);
    EXPECT_EQ(stored->front().batchId, batch);
    const auto strays = strayEntries(inbox, {batch});
    EXPECT_TRUE(strays.empty()) << "left in the Region's inbox: " << strays.front();

    expectEachDeliveredOnce(inst, {batch});
}

namespace {

// Both sides see a TCP reset, as when a firewall or a NAT drops the connection.
TEST_F(FaultInjection, ConnectionCutMidBody) { cutMidBodyThenRetry(CuttingRelay::Cut::Reset); }

// Both sides see an orderly close before the announced Content-Length.
TEST_F(FaultInjection, ConnectionClosedMidBody) { cutMidBodyThenRetry(CuttingRelay::Cut::Close); }

}  // namespace
}  // namespace passerelle::integration
