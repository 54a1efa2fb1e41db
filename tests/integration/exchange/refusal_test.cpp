// Who the Region's gateway refuses, and that it says so: no certificate, a
// certificate from another CA, a valid certificate of an unconfigured party,
// and a configured party sending for a purpose it may not use.

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/StreamCopier.h>

#include <cctype>

#include "../support/exchange_fixture.h"

namespace passerelle::integration {
namespace {

class RefusalTest : public ExchangeTest {
protected:
    // Region with univ-montpellier as its only peer, both with keys, the Region running.
    // pin: "" none, "genuine" univ-montpellier's real fingerprint, else that value.
    void startExchange(const std::vector<std::string>& extraParties = {}, const std::string& pin = "") {
        std::vector<std::string> parties = {kRegion, "univ-montpellier"};
        parties.insert(parties.end(), extraParties.begin(), extraParties.end());
        makePki(parties);
        const std::string fingerprint = pin == "genuine" ? certificateSha256("univ-montpellier") : pin;
        writeRegionConfig({{"univ-montpellier", kSurveyPurpose, fingerprint}});
        keysInit(regionConfig(), "region");
        exportFile_ = makeExport("export", 20, 0, 5);
        const Institution genuine =
            writeInstitutionConfig("univ-montpellier", "univ-montpellier", 0, exportFile_);
        keysInit(genuine.config, "univ-montpellier");
        ASSERT_FALSE(HasFailure());
        region_ = startRegion();
        ASSERT_TRUE(region_);
    }

    // The fingerprint as an operator would copy it from openssl: upper-case, with colons.
    std::string certificateSha256(const std::string& party) {
        const auto r = runCommand({"/usr/bin/openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in",
                                   (pki() / (party + ".crt")).string()},
                                  logs() / ("fingerprint-" + party));
        EXPECT_EQ(r.exitCode, 0) << r;
        std::string fingerprint = r.out.substr(r.out.find('=') + 1);
        while (!fingerprint.empty() && std::isspace(static_cast<unsigned char>(fingerprint.back()))) {
            fingerprint.pop_back();
        }
        return fingerprint;
    }

    // Pins the Region's certificate in an institution's config.
    void pinRegion(const Institution& inst, const std::string& fingerprint) {
        std::string ini = readFile(inst.config);
        const std::string section = "[peer." + std::string(kRegion) + "]\n";
        const auto at = ini.find(section);
        ASSERT_NE(at, std::string::npos);
        ini.insert(at + section.size(), "certificate_sha256 = " + fingerprint + "\n");
        writeFile(inst.config, ini);
    }

    // The actors of the Region's ledger entries of refused connections, as `audit list
    // --json` gives them. A handshake refusal is logged and counted, never written to
    // the ledger (the client is not authenticated): there must be none.
    std::vector<std::string> listRefusedConnectionActors() {
        const auto r = passerelle({"audit", "list", "--config", regionConfig().string(), "--operation",
                                   "connection-refused", "--json"},
                                  "region.audit-list");
        EXPECT_EQ(r.exitCode, 0) << r;
        std::vector<std::string> actors;
        Poco::JSON::Parser parser;
        const auto list = parser.parse(r.out).extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; i < list->size(); ++i) {
            actors.push_back(list->getObject(static_cast<unsigned>(i))->getValue<std::string>("actor"));
        }
        return actors;
    }

    // An institution's config and keys, pointing at the running Region.
    Institution institution(const std::string& party, const std::string& label,
                            std::optional<fs::path> certificate = {}, std::optional<fs::path> key = {}) {
        Institution inst =
            writeInstitutionConfig(party, label, region_->port(), exportFile_, certificate, key);
        if (!fs::exists(inst.keysDir() / "public.keys")) keysInit(inst.config, label);
        return inst;
    }

    CommandResult transfer(const Institution& inst, const std::string& job) {
        return passerelle({"transfer", "--config", inst.config.string(), "--job", job, "--json"},
                          inst.dir.filename().string() + ".transfer." + job);
    }

    bool regionLogSays(const std::string& text) {
        return waitUntil([&] { return region_->log().find(text) != std::string::npos; }, 5s);
    }

    void expectNothingStored() {
        EXPECT_TRUE(sinkBatchFiles().empty()) << "a refused batch reached the survey files";
        std::size_t stored = 0;
        if (fs::is_directory(regionDir() / "state" / "inbox")) {
            for (const auto& e : fs::directory_iterator(regionDir() / "state" / "inbox")) {
                if (!e.path().filename().string().starts_with(".")) ++stored;
            }
        }
        EXPECT_EQ(stored, 0u) << "a refused batch was stored in the Region's inbox";
    }

    // GET /v1/health with or without a client certificate: the HTTP status, or 0 when TLS fails.
    int healthStatus(bool withCertificate) {
        Poco::Net::initializeSSL();
        Poco::Net::Context::Params params;
        params.caLocation = (pki() / "ca.crt").string();
        if (withCertificate) {
            params.certificateFile = (pki() / "univ-montpellier.crt").string();
            params.privateKeyFile = (pki() / "univ-montpellier.key").string();
        }
        params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
        params.loadDefaultCAs = false;
        Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
        Poco::Net::SSLManager::instance().initializeClient(
            nullptr, new Poco::Net::RejectCertificateHandler(false), context);
        try {
            Poco::Net::HTTPSClientSession session("localhost", static_cast<Poco::UInt16>(region_->port()),
                                                  context);
            session.setTimeout(Poco::Timespan(5, 0));
            Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/v1/health",
                                           Poco::Net::HTTPMessage::HTTP_1_1);
            session.sendRequest(request);
            Poco::Net::HTTPResponse response;
            std::string body;
            Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
            return static_cast<int>(response.getStatus());
        } catch (const Poco::Exception&) {
            return 0;
        }
    }

    void TearDown() override {
        if (region_) stopGateway(region_->process());
        ExchangeTest::TearDown();
    }

    fs::path exportFile_;
    std::unique_ptr<RunningRegion> region_;
};

TEST_F(RefusalTest, ClientWithoutCertificateGetsNoAnswerAndIsLoggedNotLedgered) {
    startExchange();
    ASSERT_FALSE(HasFailure());
    // The same client with the institution's certificate is answered: the refusal is about the certificate.
    ASSERT_EQ(healthStatus(true), 200) << region_->log();

    EXPECT_NE(healthStatus(false), 200) << "a client without a certificate was answered";
    EXPECT_TRUE(regionLogSays("did not return a certificate"))
        << "the Region's log must record the refused handshake:\n"
        << region_->log();
    EXPECT_EQ(listRefusedConnectionActors(), std::vector<std::string>{})
        << "an unauthenticated client must not write the ledger";
}

TEST_F(RefusalTest, ImpostorCertificateFromAnotherCaIsRefusedDuringTheHandshake) {
    startExchange();
    ASSERT_FALSE(HasFailure());
    const Institution impostor =
        institution("univ-montpellier", "impostor", pki() / "foreign" / "univ-montpellier.crt",
                    pki() / "foreign" / "univ-montpellier.key");
    const auto r = transfer(impostor, "survey-contact");
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_FALSE(parseJson(r.out)->optValue("receipted", true));
    EXPECT_TRUE(regionLogSays("refused client certificate")) << region_->log();
    expectNothingStored();
    EXPECT_EQ(listRefusedConnectionActors(), std::vector<std::string>{})
        << "a certificate the Region refused must not write its ledger";
}

TEST_F(RefusalTest, ValidCertificateOfAPartyThatIsNotAConfiguredPeerIsRefused) {
    startExchange({"univ-unknown"});
    ASSERT_FALSE(HasFailure());
    const Institution unknown = institution("univ-unknown", "univ-unknown");
    const auto r = transfer(unknown, "survey-contact");
    EXPECT_EQ(r.exitCode, 1) << r;
    const std::string said = r.out + r.err;
    EXPECT_TRUE(said.find("unknown_party") != std::string::npos ||
                said.find("not a configured peer") != std::string::npos)
        << r;
    EXPECT_TRUE(regionLogSays("unknown_party")) << region_->log();
    expectNothingStored();
}

TEST_F(RefusalTest, ConfiguredPeerSendingForAPurposeItMayNotUseIsRefused) {
    startExchange();
    ASSERT_FALSE(HasFailure());
    const Institution inst = institution("univ-montpellier", "univ-montpellier");
    const auto r = transfer(inst, "statistics");
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_NE((r.out + r.err).find("purpose_not_allowed"), std::string::npos) << r;
    expectNothingStored();

    // The same peer, same certificate, for its accepted purpose: delivered (the refusal was the purpose).
    const auto allowed = transfer(inst, "survey-contact");
    EXPECT_EQ(allowed.exitCode, 0) << allowed << "\n--- region log ---\n" << region_->log();
}

TEST_F(RefusalTest, PeerWhoseCertificateIsNotThePinnedOneIsRefused) {
    startExchange({}, std::string(64, 'a'));  // a fingerprint that is not univ-montpellier's certificate
    ASSERT_FALSE(HasFailure());
    const Institution inst = institution("univ-montpellier", "univ-montpellier");
    const auto r = transfer(inst, "survey-contact");
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_NE((r.out + r.err).find("certificate_not_pinned"), std::string::npos) << r;
    expectNothingStored();
}

TEST_F(RefusalTest, PeerPresentingItsPinnedCertificateIsServed) {
    startExchange({}, "genuine");
    ASSERT_FALSE(HasFailure());
    const Institution inst = institution("univ-montpellier", "univ-montpellier");
    const auto r = transfer(inst, "survey-contact");
    EXPECT_EQ(r.exitCode, 0) << r << "\n--- region log ---\n" << region_->log();
}

}  // namespace
}  // namespace passerelle::integration

namespace passerelle::integration {
namespace {

TEST_F(RefusalTest, InstitutionSendsNothingToARegionWhoseCertificateIsNotThePinnedOne) {
    startExchange();
    ASSERT_FALSE(HasFailure());
    const Institution inst = institution("univ-montpellier", "univ-montpellier");
    pinRegion(inst, std::string(64, 'b'));
    const auto r = transfer(inst, "survey-contact");
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_NE((r.out + r.err).find("is not the one pinned"), std::string::npos) << r;
    expectNothingStored();
}

TEST_F(RefusalTest, InstitutionDeliversToTheRegionWhoseCertificateIsPinned) {
    startExchange();
    ASSERT_FALSE(HasFailure());
    const Institution inst = institution("univ-montpellier", "univ-montpellier");
    pinRegion(inst, certificateSha256(kRegion));
    const auto r = transfer(inst, "survey-contact");
    EXPECT_EQ(r.exitCode, 0) << r << "\n--- region log ---\n" << region_->log();
}

}  // namespace
}  // namespace passerelle::integration
