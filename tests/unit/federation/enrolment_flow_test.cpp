// Enrolment from both sides, in one process over real files: the institution's
// request, the Region's checks (each refusal changing nothing), the signed answer
// and its import.

#include <gtest/gtest.h>

#include <functional>

#include "config/gateway_config.h"
#include "federation/enrolment.h"
#include "federation/enrolment_answer.h"
#include "federation/federation_ca.h"
#include "federation/peer_enrolment.h"
#include "federation_test_support.h"
#include "privacy/key_folder.h"

namespace passerelle::federation {
namespace {

namespace fs = std::filesystem;
using testing::readText;
using testing::writeText;

class EnrolmentFlow : public ::testing::Test {
protected:
    void SetUp() override {
        writeText(root() / "members.txt",
                  "# test members\n0342321N univ-montpellier Université de Montpellier\n"
                  "0341089Z univ-paul-valery Université Paul-Valéry\n");
        writeText(regionIni(),
                  "[gateway]\nrole = region\nparty = region-occitanie\nlisten = 127.0.0.1:0\n"
                  "state_dir = region/state\nkeys_dir = region/keys\n\n"
                  "[tls]\ncertificate = region/tls.crt\nprivate_key = region/tls.key\nca = region/ca.pem\n\n"
                  "[sink]\nplugin = sink.csv\n\n"
                  "[ca]\nfolder = region/ca\nmembers = members.txt\npublic_url = https://region.example:8443\n");
        privacy::KeyFolder::generate(root() / "region" / "keys", "region-occitanie");
        writeInstitution("univ-montpellier", "0342321N");
    }

    void initialiseCa(std::chrono::system_clock::time_point at = std::chrono::system_clock::now()) {
        testing::TestClock clock;
        clock.at = at;
        CertificateAuthority::initialise(CaFolder{root() / "region" / "ca"}, KeyType::P256,
                                         CaOperator{"region-occitanie", "Région Occitanie"}, clock);
    }

    void writeInstitution(const std::string& party, const std::string& uai) {
        writeText(institutionIni(),
                  "[gateway]\nrole = institution\nparty = " + party + "\nuai = " + uai +
                      "\nstate_dir = inst/state\nkeys_dir = inst/keys\n\n"
                      "[tls]\ncertificate = inst/tls/cert.pem\nprivate_key = inst/tls/key.pem\n"
                      "ca = inst/tls/federation-ca.pem\ncrl = inst/tls/root.crl, inst/tls/crl.pem\n");
    }

    fs::path root() const { return dir.path(); }
    fs::path regionIni() const { return root() / "region.ini"; }
    fs::path institutionIni() const { return root() / "institution.ini"; }
    fs::path requestFile() const { return root() / "request.json"; }
    fs::path answerFile() const { return root() / "answer.json"; }
    config::GatewayConfig region() const { return config::GatewayConfig::load(regionIni()); }
    config::GatewayConfig institution() const { return config::GatewayConfig::load(institutionIni()); }

    WrittenRequest enrol() { return writeEnrolmentRequest(institution(), "passerelle@inst.example", requestFile()); }

    PeerAddition addition(const std::string& fingerprint) const {
        PeerAddition a;
        a.requestFile = requestFile();
        a.fingerprint = fingerprint;
        a.answerFile = answerFile();
        return a;
    }

    std::string rootSha256() const {
        return sha256Fingerprint(certificateFromPem(readText(root() / "region" / "ca" / "root.crt")).get());
    }

    // Runs peers add, which must refuse with `expected` in its message and leave the
    // configuration, the CA's issued list and the answer's place as they were.
    void expectRefusal(const PeerAddition& a, const std::string& expected) {
        const std::string before = readText(regionIni());
        try {
            addEnrolledPeer(region(), a);
            ADD_FAILURE() << "peers add accepted it; expected: " << expected;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
        }
        EXPECT_EQ(readText(regionIni()), before);
        EXPECT_TRUE(listCertificates(region()).empty());
        EXPECT_FALSE(fs::exists(answerFile()));
        EXPECT_FALSE(fs::exists(root() / "region" / "ca" / "peers" / "univ-montpellier.keys"));
    }

    // Rewrites one member of the request file (which changes its fingerprint).
    std::string tamperedRequest(const std::function<void(EnrolmentRequest&)>& change) {
        auto request = EnrolmentRequest::parse(readText(requestFile()), requestFile());
        change(request);
        const std::string text = request.toJson();
        writeText(requestFile(), text);
        return enrolmentFingerprint(text);
    }

    testing::TempDir dir;
};

TEST_F(EnrolmentFlow, RequestAnswerAndImportPutEveryFileWhereTheConfigurationsNameThem) {
    initialiseCa();
    const auto written = enrol();
    EXPECT_TRUE(written.madeTlsKey);
    EXPECT_TRUE(written.madePartyKeys);
    EXPECT_EQ(testing::modeOf(root() / "inst" / "tls" / "key.pem"), 0600u);
    EXPECT_EQ(written.fingerprint, enrolmentFingerprint(readText(requestFile())));
    const auto request = EnrolmentRequest::parse(readText(requestFile()), requestFile());
    EXPECT_EQ(request.uai, "0342321N");
    EXPECT_EQ(request.contact, "passerelle@inst.example");

    // The fingerprint as typed on the phone: lower case, spaces.
    std::string typed = written.fingerprint;
    for (auto& c : typed) c = c == '-' ? ' ' : static_cast<char>(std::tolower(c));
    const std::string regionBefore = readText(regionIni());
    const auto added = addEnrolledPeer(region(), addition(typed));
    EXPECT_EQ(added.party, "univ-montpellier");
    const std::string regionAfter = readText(regionIni());
    ASSERT_TRUE(regionAfter.starts_with(regionBefore));
    const auto config = region();
    ASSERT_TRUE(config.peers.contains("univ-montpellier"));
    EXPECT_EQ(config.peers.at("univ-montpellier").certificateSha256, added.sha256);
    EXPECT_EQ(privacy::readPublicKeysFile(config.peers.at("univ-montpellier").publicKeysFile).party,
              "univ-montpellier");
    ASSERT_EQ(listCertificates(config).size(), 1u);

    ImportOptions import{answerFile(), rootSha256(), false};
    const auto imported = importEnrolmentAnswer(institution(), import);
    EXPECT_EQ(imported.region, "region-occitanie");
    EXPECT_TRUE(imported.addedRegionPeer);
    const auto inst = institution();
    EXPECT_TRUE(fs::exists(inst.tls.certificate));
    EXPECT_EQ(readText(inst.tls.ca), readText(root() / "region" / "ca" / "federation-ca.pem"));
    EXPECT_EQ(readText(inst.tls.crls[0]), readText(root() / "region" / "ca" / "root.crl"));
    EXPECT_EQ(readText(inst.tls.crls[1]), readText(root() / "region" / "ca" / "crl.pem"));
    ASSERT_TRUE(inst.peers.contains("region-occitanie"));
    EXPECT_EQ(inst.peers.at("region-occitanie").url, "https://region.example:8443");
    EXPECT_EQ(privacy::readPublicKeysFile(inst.peers.at("region-occitanie").publicKeysFile).party,
              "region-occitanie");

    // Importing the same answer again changes nothing and succeeds.
    const std::string instText = readText(institutionIni());
    EXPECT_FALSE(importEnrolmentAnswer(institution(), import).addedRegionPeer);
    EXPECT_EQ(readText(institutionIni()), instText);
}

// The answer hands the Region's whole key history, even of keys rotated before history was
// recorded (only in previous/): the institution can then check what the Region signed with them.
TEST_F(EnrolmentFlow, TheAnswerCarriesTheRegionsRetiredKeys) {
    initialiseCa();
    const auto regionKeys = region().keysDir;
    const auto rotated = privacy::KeyFolder::rotateSealingKeys(regionKeys);
    // As an earlier version left it: public.keys with the current keys only.
    const auto current = privacy::readPublicKeysFile(regionKeys / privacy::KeyFolder::kPublicFile);
    privacy::writePublicKeysFile(regionKeys / privacy::KeyFolder::kPublicFile,
                                 privacy::PublicKeys(current.party, current.sign, current.box));
    addEnrolledPeer(region(), addition(enrol().fingerprint));
    importEnrolmentAnswer(institution(), ImportOptions{answerFile(), rootSha256(), false});
    const auto imported = privacy::readPublicKeysFile(institution().peers.at("region-occitanie").publicKeysFile);
    ASSERT_EQ(imported.retiredSign.size(), 1u);
    EXPECT_EQ(imported.retiredSign[0].id(), rotated.retiredSignId);
}

TEST_F(EnrolmentFlow, EnrolKeepsExistingKeysAndNeverOverwritesTheRequest) {
    initialiseCa();
    enrol();
    const std::string key = readText(root() / "inst" / "tls" / "key.pem");
    EXPECT_THROW(enrol(), EnrolmentError);
    fs::remove(requestFile());
    const auto again = enrol();
    EXPECT_FALSE(again.madeTlsKey);
    EXPECT_FALSE(again.madePartyKeys);
    EXPECT_EQ(readText(root() / "inst" / "tls" / "key.pem"), key);
}

TEST_F(EnrolmentFlow, AWrongFingerprintChangesNothing) {
    initialiseCa();
    enrol();
    expectRefusal(addition("AAAA-BBBB-CCCC-DDDD"), "fingerprint is not the one given");
}

TEST_F(EnrolmentFlow, ABadCheckLetterChangesNothing) {
    initialiseCa();
    enrol();
    const auto fp = tamperedRequest([](EnrolmentRequest& r) { r.uai = "0342321P"; });
    expectRefusal(addition(fp), "check letter");
}

TEST_F(EnrolmentFlow, AUaiNotInTheMembersListChangesNothing) {
    initialiseCa();
    enrol();
    const auto fp = tamperedRequest([](EnrolmentRequest& r) { r.uai = "0311382J"; });
    expectRefusal(addition(fp), "unknown UAI 0311382J");
}

TEST_F(EnrolmentFlow, AnotherPartysUaiChangesNothing) {
    initialiseCa();
    enrol();
    const auto fp = tamperedRequest([](EnrolmentRequest& r) { r.uai = "0341089Z"; });
    expectRefusal(addition(fp), "UAI 0341089Z belongs to 'univ-paul-valery'");
}

TEST_F(EnrolmentFlow, ACsrWhoseCnDiffersFromThePartyChangesNothing) {
    initialiseCa();
    enrol();
    const auto key = testing::makeP256Key();
    const std::string other = testing::makeRequestPem(key.get(), {"univ-paul-valery"});
    const auto fp = tamperedRequest([&](EnrolmentRequest& r) { r.csrPem = other; });
    expectRefusal(addition(fp), "CSR's CN 'univ-paul-valery' differs from the request's party 'univ-montpellier'");
}

TEST_F(EnrolmentFlow, PublicKeysOfAnotherPartyChangeNothing) {
    initialiseCa();
    enrol();
    const std::string regionKeys = readText(root() / "region" / "keys" / "public.keys");
    const auto fp = tamperedRequest([&](EnrolmentRequest& r) { r.publicKeys = regionKeys; });
    expectRefusal(addition(fp), "public keys are of 'region-occitanie'");
}

TEST_F(EnrolmentFlow, AnExpiredIssuingCaChangesNothing) {
    // Made eleven years ago: the root (20 years) still valid, the issuing certificate (10) not.
    initialiseCa(std::chrono::system_clock::now() - std::chrono::hours(24 * 365 * 11));
    const auto written = enrol();
    expectRefusal(addition(written.fingerprint), "expired on");
}

TEST_F(EnrolmentFlow, AnAlreadyEnrolledPartyIsRefused) {
    initialiseCa();
    const auto written = enrol();
    addEnrolledPeer(region(), addition(written.fingerprint));
    fs::remove(answerFile());
    const std::string before = readText(regionIni());
    try {
        addEnrolledPeer(region(), addition(written.fingerprint));
        FAIL() << "enrolled twice";
    } catch (const EnrolmentError& e) {
        EXPECT_NE(std::string(e.what()).find("already has a [peer.univ-montpellier] section"), std::string::npos)
            << e.what();
    }
    EXPECT_EQ(readText(regionIni()), before);
    EXPECT_EQ(listCertificates(region()).size(), 1u);
}

TEST_F(EnrolmentFlow, WithoutAMembersListNoOneIsEnrolled) {
    initialiseCa();
    const auto written = enrol();
    std::string ini = readText(regionIni());
    ini.replace(ini.find("members = members.txt\n"), std::string("members = members.txt\n").size(), "");
    writeText(regionIni(), ini);
    expectRefusal(addition(written.fingerprint), "key 'ca.members' is missing");
}

TEST_F(EnrolmentFlow, WithReplaceAPartyEnrolsAgainWithANewKeyAndItsSectionIsReplaced) {
    initialiseCa();
    const auto first = addEnrolledPeer(region(), addition(enrol().fingerprint));
    fs::remove(answerFile());
    fs::remove(requestFile());
    fs::remove(root() / "inst" / "tls" / "key.pem");  // the TLS key lost: a new one, a new request
    const std::string before = readText(regionIni());
    const auto written = enrol();
    EXPECT_TRUE(written.madeTlsKey);
    auto again = addition(written.fingerprint);
    again.replace = true;
    const auto second = addEnrolledPeer(region(), again);
    EXPECT_TRUE(second.replaced);
    EXPECT_EQ(second.previousSerial, first.serial);
    const std::string after = readText(regionIni());
    const auto header = after.find("[peer.univ-montpellier]");
    EXPECT_EQ(after.substr(0, header), before.substr(0, before.find("[peer.univ-montpellier]")));
    EXPECT_EQ(after.find("[peer.univ-montpellier]", header + 1), std::string::npos) << after;
    EXPECT_EQ(region().peers.at("univ-montpellier").certificateSha256, second.sha256);
    EXPECT_EQ(listCertificates(region()).size(), 2u);
    importEnrolmentAnswer(institution(), ImportOptions{answerFile(), rootSha256(), false});
}

class AnswerImport : public EnrolmentFlow {
protected:
    void SetUp() override {
        EnrolmentFlow::SetUp();
        initialiseCa();
        const auto written = enrol();
        addEnrolledPeer(region(), addition(written.fingerprint));
    }

    void expectImportRefused(const std::string& pin, const std::string& expected) {
        const std::string before = readText(institutionIni());
        try {
            importEnrolmentAnswer(institution(), ImportOptions{answerFile(), pin, false});
            ADD_FAILURE() << "imported; expected: " << expected;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
        }
        EXPECT_EQ(readText(institutionIni()), before);
        for (const char* name : {"cert.pem", "federation-ca.pem", "root.crl", "crl.pem"}) {
            EXPECT_FALSE(fs::exists(root() / "inst" / "tls" / name)) << name;
        }
        EXPECT_FALSE(fs::exists(root() / "region-occitanie.public.keys"));
    }
};

TEST_F(AnswerImport, ARootOtherThanThePinnedOneIsRefused) {
    std::string pin = rootSha256();
    pin[0] = pin[0] == '0' ? '1' : '0';
    expectImportRefused(pin, "not the one given with --root-sha256");
}

TEST_F(AnswerImport, AnAlteredAnswerIsRefusedBySignature) {
    auto read = readSignedAnswer(readText(answerFile()), answerFile());
    read.answer.regionUrl = "https://elsewhere.example:8443";
    read.signedJson.json = read.answer.toJson();
    writeText(answerFile(), read.signedJson.body("answer"));
    expectImportRefused(rootSha256(), "signature does not verify");
}

TEST_F(AnswerImport, AnAnswerForAnotherKeyIsRefused) {
    fs::remove(root() / "inst" / "tls" / "key.pem");
    writeText(root() / "inst" / "tls" / "key.pem", toPem(testing::makeP256Key().get()));
    fs::permissions(root() / "inst" / "tls" / "key.pem", fs::perms::owner_read | fs::perms::owner_write);
    expectImportRefused(rootSha256(), "is not for the key in");
}

TEST_F(AnswerImport, AnExistingFileWithOtherContentIsKeptUnlessReplaced) {
    writeText(root() / "inst" / "tls" / "federation-ca.pem", "an older CA\n");
    const std::string before = readText(institutionIni());
    try {
        importEnrolmentAnswer(institution(), ImportOptions{answerFile(), rootSha256(), false});
        FAIL() << "overwrote a file";
    } catch (const EnrolmentError& e) {
        EXPECT_NE(std::string(e.what()).find("exists with other content"), std::string::npos) << e.what();
    }
    EXPECT_EQ(readText(root() / "inst" / "tls" / "federation-ca.pem"), "an older CA\n");
    EXPECT_FALSE(fs::exists(root() / "inst" / "tls" / "cert.pem"));
    EXPECT_EQ(readText(institutionIni()), before);
    importEnrolmentAnswer(institution(), ImportOptions{answerFile(), rootSha256(), true});
    EXPECT_EQ(readText(root() / "inst" / "tls" / "federation-ca.pem"),
              readText(root() / "region" / "ca" / "federation-ca.pem"));
}

}  // namespace
}  // namespace passerelle::federation
