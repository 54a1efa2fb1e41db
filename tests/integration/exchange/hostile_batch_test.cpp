// A real institution (its own certificate and signing key) turned hostile: it
// signs manifests the gateway never writes and posts them to the running Region.
// Ids that could climb out of the inbox are refused by the manifest parser; fields
// the Region's own purpose does not allow are refused before anything is stored.
// Each refusal is a JSON error and a batch-refused ledger entry, and nothing on
// disk outside the ledger and state databases changes.

#include <Poco/JSON/Array.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>

#include <sstream>

#include "../support/exchange_fixture.h"
#include "privacy/batch_writer.h"
#include "privacy/envelope.h"
#include "privacy/manifest.h"
#include "privacy/party_keys.h"

namespace passerelle::integration {
namespace {

struct Answer {
    int status = 0;
    std::string body;
};

// Every file and folder under a root, with each file's content: what "nothing
// changed" is compared on. The databases change by design (ledger entries).
std::map<std::string, std::string> snapshot(const fs::path& root) {
    std::map<std::string, std::string> tree;
    if (!fs::exists(root)) return tree;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        const std::string name = e.path().filename().string();
        if (name.starts_with("ledger.db") || name.starts_with("state.db")) continue;
        const std::string rel = fs::relative(e.path(), root).string();
        tree[rel] = e.is_directory() ? std::string("<dir>") : readFile(e.path());
    }
    return tree;
}

class HostileBatchTest : public ExchangeTest {
protected:
    void SetUp() override {
        ExchangeTest::SetUp();
        makePki({kRegion, "univ-montpellier"});
        writeRegionConfig({{"univ-montpellier", std::string(kSurveyPurpose) + ", " + kStatisticsPurpose}});
        // The statistics purpose forbids identifying and contact fields on the Region's side.
        std::string ini = readFile(regionConfig());
        const std::string section = "[purpose.region-statistics]\n";
        ini.insert(ini.find(section) + section.size(), "forbid_classes = I, C\n");
        writeFile(regionConfig(), ini);
        keysInit(regionConfig(), "region");
        inst_ = writeInstitutionConfig("univ-montpellier", "univ-montpellier", 0, makeExport("export", 3, 0, 7));
        keysInit(inst_.config, "univ-montpellier");
        ASSERT_FALSE(HasFailure());
        region_ = startRegion();
        ASSERT_TRUE(region_);
        // Canaries where hostile ids would lead: beside the inbox, and at an absolute path.
        for (const fs::path& dir : {regionDir() / "state" / "x", root() / "elsewhere" / "x"}) {
            fs::create_directories(dir);
            writeFile(dir / "canary.txt", "still here\n");
        }
        fs::create_directories(regionDir() / "state" / "inbox");
    }

    void TearDown() override {
        if (region_) stopGateway(region_->process());
        ExchangeTest::TearDown();
    }

    // A batch sealed for the Region and signed with univ-montpellier's real key, as an
    // independent implementation of docs/batch-format.md would write it: the manifest
    // is re-encoded with the given id, purpose and fields and signed again.
    std::string envelope(const std::string& batchId, const std::string& purpose,
                         const std::vector<std::string>& fields) {
        const privacy::PartyKeys keys = privacy::PartyKeys::load(inst_.keysDir());
        const privacy::PublicKeys region = privacy::readPublicKeysFile(regionDir() / "keys" / "public.keys");
        const fs::path dir = root() / "crafted" / std::to_string(++crafted_);
        fs::create_directories(dir.parent_path());
        privacy::Manifest draft;
        draft.batchId = privacy::newBatchId();
        draft.sender = "univ-montpellier";
        draft.recipient = kRegion;
        draft.purpose = purpose;
        draft.fields = fields;
        privacy::Manifest manifest;
        {
            privacy::BatchWriter writer(dir, draft, keys, region.box);
            for (int record = 0; record < 2; ++record) {
                std::vector<std::string> values;
                for (const std::string& f : fields) values.push_back("synthetic-" + f + "-" + std::to_string(record));
                std::vector<std::string_view> views(values.begin(), values.end());
                writer.addRecord(views);
            }
            manifest = writer.finish();
        }
        manifest.batchId = batchId;
        const std::string json = manifest.canonicalJson();
        const auto signature = keys.sign(std::span(reinterpret_cast<const std::uint8_t*>(json.data()), json.size()));
        const auto n = static_cast<std::uint32_t>(json.size());
        std::string body = "PSLENV01";
        for (int shift : {24, 16, 8, 0}) body += static_cast<char>((n >> shift) & 0xff);
        body += json;
        body.append(reinterpret_cast<const char*>(signature.data()), signature.size());
        body += readFile(dir / "payload.bin");
        return body;
    }

    // POST /v1/batches over mutual TLS with univ-montpellier's certificate.
    Answer post(const std::string& body) {
        Poco::Net::initializeSSL();
        Poco::Net::Context::Params params;
        params.caLocation = (pki() / "ca.crt").string();
        params.certificateFile = (pki() / "univ-montpellier.crt").string();
        params.privateKeyFile = (pki() / "univ-montpellier.key").string();
        params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
        params.loadDefaultCAs = false;
        Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
        Poco::Net::SSLManager::instance().initializeClient(nullptr, new Poco::Net::RejectCertificateHandler(false),
                                                           context);
        Answer answer;
        try {
            Poco::Net::HTTPSClientSession session("localhost", static_cast<Poco::UInt16>(region_->port()), context);
            session.setTimeout(Poco::Timespan(10, 0));
            Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/v1/batches",
                                           Poco::Net::HTTPMessage::HTTP_1_1);
            request.setContentType("application/vnd.passerelle.batch");
            request.setContentLength64(static_cast<Poco::Int64>(body.size()));
            session.sendRequest(request) << body;
            Poco::Net::HTTPResponse response;
            Poco::StreamCopier::copyToString(session.receiveResponse(response), answer.body);
            answer.status = static_cast<int>(response.getStatus());
        } catch (const Poco::Exception& e) {
            ADD_FAILURE() << "POST /v1/batches failed: " << e.displayText();
        }
        return answer;
    }

    // The Region's batch-refused ledger entries' reasons.
    std::vector<std::string> refusals() {
        const auto r = passerelle({"audit", "list", "--config", regionConfig().string(), "--operation",
                                   "batch-refused", "--json"},
                                  "region.audit-list");
        EXPECT_EQ(r.exitCode, 0) << r;
        std::vector<std::string> reasons;
        const auto list = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; i < list->size(); ++i) {
            reasons.push_back(list->getObject(static_cast<unsigned>(i))->optValue<std::string>("reason", ""));
        }
        return reasons;
    }

    std::size_t storedBatches() {
        std::size_t n = 0;
        for (const auto& e : fs::directory_iterator(regionDir() / "state" / "inbox")) {
            if (!e.path().filename().string().starts_with(".")) ++n;
        }
        return n;
    }

    // Posts the body; expects the status and error code, a message that says `because`,
    // and no file changed outside the databases. The ledger is read once per test
    // (expectLedgerSays): one `audit list` per request would make the test slow.
    void expectRefused(const std::string& body, int status, const std::string& code, const std::string& because) {
        const auto before = std::make_pair(snapshot(regionDir()), snapshot(root() / "elsewhere"));
        const Answer a = post(body);
        EXPECT_EQ(a.status, status) << a.body << "\n--- region log ---\n" << region_->log();
        const auto error = parseJson(a.body);
        ASSERT_TRUE(error) << a.body;
        EXPECT_EQ(error->optValue<std::string>("error", ""), code) << a.body;
        EXPECT_NE(error->optValue<std::string>("message", "").find(because), std::string::npos) << a.body;
        EXPECT_EQ(snapshot(regionDir()), before.first) << "the Region's files changed";
        EXPECT_EQ(snapshot(root() / "elsewhere"), before.second) << "files outside the Region changed";
        EXPECT_EQ(readFile(regionDir() / "state" / "x" / "canary.txt"), "still here\n");
        expected_.push_back(because);
    }

    // One batch-refused ledger entry per refusal, in order, each with its reason.
    void expectLedgerSaysEachRefusal() {
        const auto reasons = refusals();
        ASSERT_EQ(reasons.size(), expected_.size()) << "each refusal must be one batch-refused ledger entry";
        for (std::size_t i = 0; i < reasons.size(); ++i) {
            EXPECT_NE(reasons[i].find(expected_[i]), std::string::npos) << reasons[i];
        }
    }

    std::vector<std::string> expected_;
    Institution inst_;
    std::unique_ptr<RunningRegion> region_;
    int crafted_ = 0;
};

TEST_F(HostileBatchTest, ACraftedBatchWithAValidIdAndThePurposesFieldsIsStored) {
    ASSERT_FALSE(HasFailure());
    const std::string id = privacy::newBatchId();
    const Answer a = post(envelope(id, kSurveyPurpose, kSurveyFields));
    EXPECT_EQ(a.status, 200) << a.body << "\n--- region log ---\n" << region_->log();
    EXPECT_TRUE(fs::exists(regionDir() / "state" / "inbox" / id / "manifest.json"));
    EXPECT_EQ(storedBatches(), 1u);
}

TEST_F(HostileBatchTest, EveryHostileBatchIdIsRefusedAndNothingOutsideTheInboxChanges) {
    ASSERT_FALSE(HasFailure());
    // A stored batch the empty id would have wiped with the whole inbox.
    const std::string stored = privacy::newBatchId();
    ASSERT_EQ(post(envelope(stored, kSurveyPurpose, kSurveyFields)).status, 200) << region_->log();
    // Once the sink has it, nothing but a request changes the Region's files.
    ASSERT_TRUE(waitUntil([&] { return sinkBatchFiles().size() == 1; }, 15s)) << region_->log();
    const std::string valid = "00112233445566778899aabbccddeeff";
    const std::vector<std::string> hostile = {
        "../x",
        (root() / "elsewhere" / "x").string(),
        "",
        ".incoming-abc",
        "00112233445566778899AABBCCDDEEFF",
        valid.substr(0, 31),
        valid + "0",
        std::string("0011223344556677\0" "8899aabbccddeef", 32),
        "0011223344556677889\xc3\xa9" "abbccddeef",
    };
    for (const std::string& id : hostile) {
        SCOPED_TRACE(testing::PrintToString(id));
        expectRefused(envelope(id, kSurveyPurpose, kSurveyFields), 400, "invalid_batch",
                      "key \"batch_id\": a batch id must be exactly 32 lower-case hexadecimal characters");
    }
    expectLedgerSaysEachRefusal();
    EXPECT_EQ(storedBatches(), 1u);
    EXPECT_TRUE(fs::exists(regionDir() / "state" / "inbox" / stored / "payload.bin"));
}

TEST_F(HostileBatchTest, FieldsOutsideTheRegionsPurposeAreRefusedBeforeAnythingIsStored) {
    ASSERT_FALSE(HasFailure());
    const std::vector<std::string> statistics = {"programme", "rncp_code", "entry_date", "exit_date", "pseudonym"};

    // The batch: identifying and contact fields, and a NIR, under a purpose that has none.
    std::vector<std::string> carrying = {"birth_name", "email", "nir"};
    carrying.insert(carrying.end(), statistics.begin(), statistics.end());
    expectRefused(envelope(privacy::newBatchId(), kStatisticsPurpose, carrying), 403, "fields_not_allowed",
                  "of a class the purpose forbids: birth_name (I), email (C)");
    expectRefused(envelope(privacy::newBatchId(), kStatisticsPurpose, carrying), 403, "fields_not_allowed",
                  "not fields of the trainee record: nir");

    // A field of an allowed class that the purpose does not list.
    std::vector<std::string> extra = statistics;
    extra.push_back("course_title");
    expectRefused(envelope(privacy::newBatchId(), kStatisticsPurpose, extra), 403, "fields_not_allowed",
                  "not among the purpose's fields: course_title");

    // Fewer fields, and the same fields in another order: exact equality is the rule.
    std::vector<std::string> fewer(statistics.begin(), statistics.end() - 1);
    expectRefused(envelope(privacy::newBatchId(), kStatisticsPurpose, fewer), 403, "fields_not_allowed",
                  "missing: pseudonym");
    std::vector<std::string> reordered = statistics;
    std::swap(reordered[0], reordered[1]);
    expectRefused(envelope(privacy::newBatchId(), kStatisticsPurpose, reordered), 403, "fields_not_allowed",
                  "in another order");

    expectLedgerSaysEachRefusal();
    EXPECT_EQ(storedBatches(), 0u);
    EXPECT_TRUE(sinkBatchFiles().empty());
    // The exact list is accepted: the refusals were about the fields.
    EXPECT_EQ(post(envelope(privacy::newBatchId(), kStatisticsPurpose, statistics)).status, 200) << region_->log();
}

TEST_F(HostileBatchTest, AReplayedBatchGetsItsFirstReceiptAndAnotherPayloadUnderItsIdIsAConflict) {
    ASSERT_FALSE(HasFailure());
    const std::string id = privacy::newBatchId();
    const std::string body = envelope(id, kSurveyPurpose, kSurveyFields);
    const Answer first = post(body);
    ASSERT_EQ(first.status, 200) << first.body << "\n--- region log ---\n" << region_->log();
    ASSERT_TRUE(waitUntil([&] { return sinkBatchFiles().size() == 1; }, 15s)) << region_->log();
    const std::string payload = readFile(regionDir() / "state" / "inbox" / id / "payload.bin");

    // The same bytes again (a sender that lost the answer): the same signed receipt, one copy.
    const Answer again = post(body);
    EXPECT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.body, first.body) << "a replay must get the first receipt, not a new one";
    EXPECT_EQ(storedBatches(), 1u);

    // Another sealed payload under the id already stored: refused, the stored batch kept as it was.
    expectRefused(envelope(id, kSurveyPurpose, kSurveyFields), 409, "batch_id_conflict",
                  "was already received with other content");
    EXPECT_EQ(readFile(regionDir() / "state" / "inbox" / id / "payload.bin"), payload);
    EXPECT_EQ(sinkBatchFiles().size(), 1u);
}

}  // namespace
}  // namespace passerelle::integration
