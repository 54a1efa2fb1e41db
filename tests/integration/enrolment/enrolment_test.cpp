// Enrolment through the real binary (docs/federation.md): the Region runs ca init;
// the institution runs enrol; the Region runs peers add with the fingerprint read
// over the phone; the institution imports the answer. Both configurations then pass
// check-config, and a batch goes over mutual TLS with the certificates issued. Each
// refusal says what is wrong and changes nothing. Then the directory the Region
// publishes, adopted by the institution with the revocations it carries.

#include <Poco/SHA2Engine.h>

#include "../support/exchange_fixture.h"

namespace passerelle::integration {
namespace {

// The fingerprint a party reads for these bytes: SHA-256, first 80 bits, base32, 4 groups.
std::string fingerprintOf(const std::string& bytes) {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(bytes);
    const auto digest = sha.digest();
    static const char* const kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string text;
    for (int digit = 0; digit < 16; ++digit) {
        unsigned value = 0;
        for (int bit = digit * 5; bit < digit * 5 + 5; ++bit) value = (value << 1) | ((digest[bit / 8] >> (7 - bit % 8)) & 1u);
        if (digit > 0 && digit % 4 == 0) text += '-';
        text += kAlphabet[value];
    }
    return text;
}

class EnrolmentTest : public ExchangeTest {
protected:
    fs::path caDir() const { return root() / "federation-ca"; }
    fs::path institutionTls() const { return root() / "univ-montpellier" / "tls"; }
    fs::path requestFile() const { return root() / "exchanged" / "request.json"; }
    fs::path answerFile() const { return root() / "exchanged" / "answer.json"; }

    // The Region with its CA, its members list and its own certificate from that CA;
    // the institution configured with nothing but its settings: no key, no certificate.
    void SetUp() override {
        ExchangeTest::SetUp();
        fs::create_directories(pki());
        fs::create_directories(root() / "exchanged");
        writeFile(root() / "members.txt",
                  "# the test's federation\n0342321N univ-montpellier Université de Montpellier\n"
                  "0341089Z univ-paul-valery Université Paul-Valéry Montpellier 3\n");
        writeRegionConfig({});
        writeFile(regionConfig(), readFile(regionConfig()) + "[ca]\nfolder = " + caDir().string() +
                                      "\nmembers = " + (root() / "members.txt").string() +
                                      "\npublic_url = https://localhost:8443\n");
        keysInit(regionConfig(), "region");
        auto r = passerelle({"ca", "init", "--config", regionConfig().string()}, "ca-init");
        ASSERT_EQ(r.exitCode, 0) << r;
        static const std::regex rootLine(R"(root .*\n\s+sha256 ([0-9a-f]{64}))");
        std::smatch m;
        ASSERT_TRUE(std::regex_search(r.out, m, rootLine)) << r;
        rootSha256_ = m[1].str();
        issueRegionCertificate();

        exportFile_ = makeExport("univ-montpellier", 12, 0, 41);
        inst_ = writeInstitutionConfig("univ-montpellier", "univ-montpellier", 0, exportFile_,
                                       institutionTls() / "cert.pem", institutionTls() / "key.pem");
        std::string ini = readFile(inst_.config);
        replace(ini, "ca = " + (pki() / "ca.crt").string(),
                "ca = " + (institutionTls() / "federation-ca.pem").string() +
                    "\ncrl = " + (institutionTls() / "root.crl").string() + ", " +
                    (institutionTls() / "crl.pem").string());
        replace(ini, "public_keys = " + (regionDir() / "keys" / "public.keys").string(),
                "public_keys = " + (root() / "univ-montpellier" / "region.keys").string());
        writeFile(inst_.config, ini);
    }

    static void replace(std::string& text, const std::string& from, const std::string& to) {
        const auto at = text.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        text.replace(at, from.size(), to);
    }

    // The Region's server certificate, issued by its own CA (ca issue, the manual path).
    void issueRegionCertificate() {
        const fs::path key = pki() / "region-occitanie.key", csr = pki() / "region-occitanie.csr";
        for (const auto& argv : std::vector<std::vector<std::string>>{
                 {"/usr/bin/openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                  key.string()},
                 {"/usr/bin/openssl", "req", "-new", "-key", key.string(), "-subj", "/CN=region-occitanie", "-out",
                  csr.string()}}) {
            const auto r = runCommand(argv, logs() / "region-request");
            ASSERT_EQ(r.exitCode, 0) << r;
        }
        fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
        const auto r = passerelle({"ca", "issue", "--config", regionConfig().string(), "--csr", csr.string(),
                                   "--out", (pki() / "region-occitanie.crt").string(), "--server", "--san",
                                   "localhost", "--san", "127.0.0.1"},
                                  "ca-issue-region");
        ASSERT_EQ(r.exitCode, 0) << r;
        fs::copy_file(caDir() / "federation-ca.pem", pki() / "ca.crt");
    }

    // passerelle enrol; returns the fingerprint it printed.
    std::string enrol() {
        const auto r = passerelle({"enrol", "--config", inst_.config.string(), "--contact",
                                   "passerelle-admin@univ.example", "--out", requestFile().string()},
                                  "enrol");
        EXPECT_EQ(r.exitCode, 0) << r;
        static const std::regex line(R"(fingerprint\s+([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}))");
        std::smatch m;
        EXPECT_TRUE(std::regex_search(r.out, m, line)) << r;
        return m.empty() ? std::string() : m[1].str();
    }

    CommandResult peersAdd(const std::string& fingerprint, const std::string& logName) {
        return passerelle({"peers", "add", "--config", regionConfig().string(), "--request", requestFile().string(),
                           "--fingerprint", fingerprint, "--out", answerFile().string(), "--accept",
                           std::string(kSurveyPurpose) + "," + kStatisticsPurpose},
                          logName);
    }

    CommandResult importAnswer(const std::string& pin, const std::string& logName) {
        return passerelle({"enrol", "--config", inst_.config.string(), "--import", answerFile().string(),
                           "--root-sha256", pin},
                          logName);
    }

    std::size_t issuedCount() {
        const auto r = passerelle({"ca", "list", "--config", regionConfig().string(), "--json"}, "ca-list");
        EXPECT_EQ(r.exitCode, 0) << r;
        return Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Array::Ptr>()->size();
    }

    // peers add must fail with exit code 1, name the problem, and change nothing.
    void expectPeersAddRefused(const std::string& fingerprint, const std::string& expected, const std::string& log) {
        const std::string before = readFile(regionConfig());
        const auto r = peersAdd(fingerprint, log);
        EXPECT_EQ(r.exitCode, 1) << r;
        EXPECT_NE(r.err.find(expected), std::string::npos) << r;
        EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << r;
        EXPECT_EQ(readFile(regionConfig()), before);
        EXPECT_EQ(issuedCount(), 1u) << "only the Region's own certificate";
        EXPECT_FALSE(fs::exists(answerFile()));
        EXPECT_FALSE(fs::exists(caDir() / "peers"));
    }

    std::string rootSha256_;
    fs::path exportFile_;
    Institution inst_;
};

TEST_F(EnrolmentTest, TheCeremonyLeavesBothGatewaysReadyAndABatchGoesOverMutualTls) {
    const std::string fingerprint = enrol();
    ASSERT_FALSE(fingerprint.empty());
    EXPECT_TRUE(fs::exists(institutionTls() / "key.pem"));
    EXPECT_TRUE(fs::exists(inst_.keysDir() / "public.keys"));

    auto r = peersAdd(fingerprint, "peers-add");
    ASSERT_EQ(r.exitCode, 0) << r;
    EXPECT_NE(r.out.find("peer univ-montpellier enrolled"), std::string::npos) << r;
    EXPECT_NE(readFile(regionConfig()).find("\n[peer.univ-montpellier]\n"), std::string::npos);
    EXPECT_EQ(issuedCount(), 2u);
    for (const auto& [operation, count] : {std::pair{"certificate-issued", 2u}, std::pair{"peer-enrolled", 1u}}) {
        r = passerelle({"audit", "list", "--config", regionConfig().string(), "--operation", operation, "--json"},
                       std::string("audit-") + operation);
        ASSERT_EQ(r.exitCode, 0) << r;
        EXPECT_EQ(Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Array::Ptr>()->size(), count)
            << operation << ": " << r.out;
    }

    r = importAnswer(rootSha256_, "enrol-import");
    ASSERT_EQ(r.exitCode, 0) << r;
    EXPECT_NE(r.out.find("check-config"), std::string::npos) << r;
    for (const char* name : {"cert.pem", "federation-ca.pem", "root.crl", "crl.pem"}) {
        EXPECT_TRUE(fs::exists(institutionTls() / name)) << name;
    }
    EXPECT_TRUE(fs::exists(root() / "univ-montpellier" / "region.keys"));

    for (const auto& [config, log] : {std::pair{regionConfig(), "check-region"}, std::pair{inst_.config, "check-inst"}}) {
        r = passerelle({"check-config", "--config", config.string()}, log);
        EXPECT_EQ(r.exitCode, 0) << r;
    }

    auto region = startRegion();
    ASSERT_TRUE(region);
    std::string ini = readFile(inst_.config);
    replace(ini, "url = https://localhost:0", "url = https://localhost:" + std::to_string(region->port()));
    writeFile(inst_.config, ini);
    r = passerelle({"transfer", "--config", inst_.config.string(), "--job", "survey-contact", "--json"}, "transfer");
    EXPECT_EQ(r.exitCode, 0) << r << "\n--- region ---\n" << region->log();
    EXPECT_EQ(parseJson(r.out)->getValue<int>("sealed"), 12) << r;
    EXPECT_TRUE(waitUntil([&] { return !sinkBatchFiles().empty(); }, 15s)) << region->log();
    stopGateway(region->process());
}

TEST_F(EnrolmentTest, EachRefusalOfPeersAddSaysWhyAndChangesNothing) {
    const std::string fingerprint = enrol();
    ASSERT_FALSE(fingerprint.empty());
    expectPeersAddRefused("AAAA-BBBB-CCCC-DDDD", "fingerprint is not the one given", "wrong-fingerprint");

    // A request whose UAI is not the institution's own, or mistyped, made by hand (enrol
    // itself refuses a wrong check letter): the fingerprint read is the file's.
    const std::string original = readFile(requestFile());
    EXPECT_EQ(fingerprintOf(original), fingerprint);
    const auto refusedWith = [&](const std::string& uai, const std::string& expected, const std::string& log) {
        std::string text = original;
        replace(text, "\"uai\":\"0342321N\"", "\"uai\":\"" + uai + "\"");
        writeFile(requestFile(), text);
        expectPeersAddRefused(fingerprintOf(text), expected, log);
    };
    refusedWith("0342321P", "check letter", "bad-check-letter");
    refusedWith("0311382J", "unknown UAI 0311382J", "unknown-uai");
    refusedWith("0341089Z", "belongs to 'univ-paul-valery'", "uai-of-another-party");

    // A CSR for another party's name slipped into the request.
    const fs::path otherKey = root() / "other.key", otherCsr = root() / "other.csr";
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {"/usr/bin/openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
              otherKey.string()},
             {"/usr/bin/openssl", "req", "-new", "-key", otherKey.string(), "-subj", "/CN=univ-paul-valery", "-out",
              otherCsr.string()}}) {
        const auto made = runCommand(argv, logs() / "other-request");
        ASSERT_EQ(made.exitCode, 0) << made;
    }
    std::string escaped;
    for (char c : readFile(otherCsr)) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
    std::string text = original;
    const auto from = text.find("\"csr\":\"") + 7, to = text.find("\",\"public_keys\"");
    ASSERT_LT(from, to);
    text.replace(from, to - from, escaped);
    writeFile(requestFile(), text);
    expectPeersAddRefused(fingerprintOf(text), "CSR's CN 'univ-paul-valery' differs from the request's party",
                          "csr-of-another-party");

    std::string ini = readFile(inst_.config);
    replace(ini, "uai = 0342321N", "uai = 0342321P");
    writeFile(inst_.config, ini);
    fs::remove(requestFile());
    const auto r = passerelle({"enrol", "--config", inst_.config.string(), "--out", requestFile().string()},
                              "enrol-bad-uai");
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_NE(r.err.find("key 'gateway.uai' is not a UAI"), std::string::npos) << r;
    EXPECT_FALSE(fs::exists(requestFile()));
}

TEST_F(EnrolmentTest, AnAnswerWhoseRootIsNotThePinnedOneIsRefusedAndNothingWritten) {
    const std::string fingerprint = enrol();
    auto r = peersAdd(fingerprint, "peers-add");
    ASSERT_EQ(r.exitCode, 0) << r;
    const std::string before = readFile(inst_.config);
    std::string pin = rootSha256_;
    pin[10] = pin[10] == 'a' ? 'b' : 'a';
    r = importAnswer(pin, "enrol-import-wrong-root");
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_NE(r.err.find("not the one given with --root-sha256"), std::string::npos) << r;
    EXPECT_EQ(readFile(inst_.config), before);
    EXPECT_FALSE(fs::exists(institutionTls() / "cert.pem"));
    EXPECT_FALSE(fs::exists(root() / "univ-montpellier" / "region.keys"));

    // An altered answer: its signature no longer verifies.
    std::string text = readFile(answerFile());
    const auto at = text.find("\"answer\":\"") + 20;
    text[at] = text[at] == 'A' ? 'B' : 'A';
    writeFile(answerFile(), text);
    r = importAnswer(rootSha256_, "enrol-import-altered");
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_EQ(readFile(inst_.config), before);
    EXPECT_FALSE(fs::exists(institutionTls() / "cert.pem"));
}

// The directory (docs/federation.md, "The directory"): the Region publishes it, the
// institution adopts each version once and ledgers it, and a revocation it carries is
// in force in the institution's next handshake, with no restart of either gateway.
TEST_F(EnrolmentTest, TheDirectoryIsAdoptedOnceAndARevocationItCarriesIsInForceWithoutRestart) {
    ASSERT_EQ(peersAdd(enrol(), "peers-add").exitCode, 0);
    ASSERT_EQ(importAnswer(rootSha256_, "enrol-import").exitCode, 0);
    std::string ini = readFile(regionConfig());
    replace(ini, "ca = " + (pki() / "ca.crt").string(),
            "ca = " + (pki() / "ca.crt").string() + "\ncrl = " + (caDir() / "root.crl").string() + ", " +
                (caDir() / "crl.pem").string());
    writeFile(regionConfig(), ini);  // the Region's [directory] is its defaults
    writeFile(inst_.config, readFile(inst_.config) + "\n[directory]\nfrom = region-occitanie\n");
    auto r = passerelle({"ca", "crl", "--config", regionConfig().string()}, "ca-crl");
    ASSERT_EQ(r.exitCode, 0) << r;

    auto region = startRegion();
    ASSERT_TRUE(region);
    ini = readFile(inst_.config);
    replace(ini, "url = https://localhost:0", "url = https://localhost:" + std::to_string(region->port()));
    writeFile(inst_.config, ini);
    r = passerelle({"directory", "fetch", "--config", inst_.config.string()}, "fetch-before-publish");
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_NE(r.err.find("answered GET /v1/directory with HTTP 503 (no_directory)"), std::string::npos) << r;
    EXPECT_FALSE(fs::exists(inst_.stateDir() / "directory.json"));

    // Published while the Region runs: it serves the new file at the next request.
    r = passerelle({"directory", "publish", "--config", regionConfig().string()}, "publish-1");
    ASSERT_EQ(r.exitCode, 0) << r;
    EXPECT_NE(r.out.find("(2 parties, 2 revocation lists)"), std::string::npos) << r;
    r = passerelle({"directory", "fetch", "--config", inst_.config.string()}, "fetch-1");
    ASSERT_EQ(r.exitCode, 0) << r << "\n--- region ---\n" << region->log();
    EXPECT_NE(r.out.find(" adopted (2 parties)"), std::string::npos) << r;
    r = passerelle({"directory", "fetch", "--config", inst_.config.string()}, "fetch-again");
    EXPECT_NE(r.out.find(" already held"), std::string::npos) << r;
    r = passerelle({"directory", "show", "--config", inst_.config.string()}, "show");
    EXPECT_NE(r.out.find("univ-montpellier  institution  0342321N  Université de Montpellier"), std::string::npos)
        << r;
    r = passerelle({"audit", "list", "--config", inst_.config.string(), "--operation", "directory-adopted", "--json"},
                   "audit-adopted");
    EXPECT_EQ(Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Array::Ptr>()->size(), 1u) << r;
    r = passerelle({"transfer", "--config", inst_.config.string(), "--job", "survey-contact", "--json"}, "transfer-1");
    EXPECT_EQ(r.exitCode, 0) << r << "\n--- region ---\n" << region->log();

    // The Region's server key is stolen: its certificate is revoked and the next directory
    // carries the CRL. The institution's client refuses the Region from then on.
    r = passerelle({"ca", "revoke", "--config", regionConfig().string(), "--party", "region-occitanie", "--reason",
                    "keyCompromise"},
                   "revoke-region");
    ASSERT_EQ(r.exitCode, 0) << r;
    ASSERT_EQ(passerelle({"ca", "crl", "--config", regionConfig().string()}, "ca-crl-2").exitCode, 0);
    ASSERT_EQ(passerelle({"directory", "publish", "--config", regionConfig().string()}, "publish-2").exitCode, 0);
    // The institution's daemon adopts it at start, as it does every refresh_minutes.
    {
        ChildProcess daemon({kPasserelle.string(), "run", "--config", inst_.config.string()}, logs() / "institution");
        const std::string replaced = "revocation list " + (institutionTls() / "crl.pem").string() + " replaced";
        EXPECT_TRUE(waitUntil([&] { return daemon.err().find(replaced) != std::string::npos; }, 15s))
            << daemon.out() << "\n--- stderr ---\n" << daemon.err();
        EXPECT_NE(daemon.err().find("of region-occitanie adopted"), std::string::npos) << daemon.err();
        stopGateway(daemon);
    }
    EXPECT_EQ(readFile(institutionTls() / "crl.pem"), readFile(caDir() / "crl.pem"));
    r = passerelle({"directory", "fetch", "--config", inst_.config.string()}, "fetch-refused");
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_NE((r.out + r.err).find("revoked"), std::string::npos) << r;
    r = passerelle({"audit", "list", "--config", inst_.config.string(), "--operation", "directory-adopted", "--json"},
                   "audit-adopted-2");
    EXPECT_EQ(Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Array::Ptr>()->size(), 2u) << r;
    stopGateway(region->process());
}

}  // namespace
}  // namespace passerelle::integration
