// The federation CA through the real binary (docs/federation.md): ca init, issue,
// revoke, crl and list, and a mutual-TLS handshake with the Region whose certificates
// all come from it: a client certificate it issued is accepted, then refused once it
// is revoked and the new CRL is in [tls] crl, without a restart.

#include "tls_fixture.h"

namespace passerelle::integration {
namespace {

class FederationCaTest : public TlsTest {
protected:
    fs::path caDir() const { return root() / "federation-ca"; }

    void addCaSection() {
        writeFile(regionConfig(), readFile(regionConfig()) + "\n[ca]\nfolder = " + caDir().string() + "\n");
    }

    CommandResult ca(std::vector<std::string> args, const std::string& logName) {
        args.insert(args.begin(), "ca");
        args.insert(args.begin() + 2, {"--config", regionConfig().string()});
        return passerelle(args, logName);
    }

    // A key and a request with this subject, made where the party would make them.
    fs::path makeRequest(const std::string& name, const std::string& subject) {
        const fs::path key = root() / "requests" / (name + ".key"),
                       csr = root() / "requests" / (name + ".csr");
        fs::create_directories(key.parent_path());
        for (const auto& argv : std::vector<std::vector<std::string>>{
                 {"/usr/bin/openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                  "-out", key.string()},
                 {"/usr/bin/openssl", "req", "-new", "-key", key.string(), "-subj", subject, "-out",
                  csr.string()}}) {
            const auto r = runCommand(argv, logs() / ("request-" + name));
            EXPECT_EQ(r.exitCode, 0) << r;
        }
        return csr;
    }

    // Issues the party's certificate from a fresh request and puts it, with its key,
    // where the configurations expect the party's TLS files.
    void issueInto(const std::string& party, std::vector<std::string> extra = {}) {
        const fs::path csr = makeRequest(party, "/CN=" + party);
        const fs::path out = root() / "requests" / (party + ".crt");
        std::vector<std::string> args = {"issue", "--csr", csr.string(), "--out", out.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = ca(args, "ca-issue-" + party);
        ASSERT_EQ(r.exitCode, 0) << r;
        fs::rename(out, pki() / (party + ".crt"));
        fs::rename(root() / "requests" / (party + ".key"), pki() / (party + ".key"));
        fs::permissions(pki() / (party + ".key"), fs::perms::owner_read | fs::perms::owner_write);
    }
};

TEST_F(FederationCaTest, ACertificateItIssuedIsAcceptedThenRefusedOnceRevokedAndTheCrlPublished) {
    writeConfigsAndKeys({kRegion, "univ-montpellier"});
    addCaSection();
    auto r = ca({"init"}, "ca-init");
    ASSERT_EQ(r.exitCode, 0) << r;
    EXPECT_NE(r.out.find("offline"), std::string::npos) << r;

    issueInto(kRegion, {"--server", "--san", "localhost", "--san", "127.0.0.1"});
    issueInto("univ-montpellier");
    ASSERT_FALSE(HasFailure());
    // The dev PKI's CA is gone from every trust file: only the federation CA counts now.
    fs::copy_file(caDir() / "federation-ca.pem", pki() / "ca.crt", fs::copy_options::overwrite_existing);
    const fs::path issuingCrl = pki() / "issuing.crl";
    r = ca({"crl", "--out", issuingCrl.string()}, "ca-crl-1");
    ASSERT_EQ(r.exitCode, 0) << r;

    std::string ini = readFile(regionConfig());
    const std::string caLine = "\nca = " + (pki() / "ca.crt").string() + "\n";
    ini.insert(ini.find(caLine) + caLine.size(),
               "crl = " + (caDir() / "root.crl").string() + ", " + issuingCrl.string() + "\n");
    ini += "\n[admin]\nlisten = 127.0.0.1:0\n";
    writeFile(regionConfig(), ini);
    region_ = startRegion();
    ASSERT_TRUE(region_);

    EXPECT_EQ(probe("univ-montpellier").status, 200) << region_->log();

    r = ca({"revoke", "--party", "univ-montpellier", "--reason", "keyCompromise"}, "ca-revoke");
    ASSERT_EQ(r.exitCode, 0) << r;
    r = ca({"crl", "--out", issuingCrl.string()}, "ca-crl-2");
    ASSERT_EQ(r.exitCode, 0) << r;
    EXPECT_NE(r.out.find("1 revoked"), std::string::npos) << r;
    EXPECT_TRUE(waitUntil([&] { return !probe("univ-montpellier").answered; }, 10s))
        << "the revoked certificate was still accepted\n"
        << region_->log();
    EXPECT_TRUE(regionLogSays("certificate revoked")) << region_->log();

    r = ca({"list", "--json"}, "ca-list");
    ASSERT_EQ(r.exitCode, 0) << r;
    const auto listed = parseArray(r.out);
    ASSERT_EQ(listed->size(), 2u) << r.out;
    std::map<std::string, bool> revoked;
    for (std::size_t i = 0; i < listed->size(); ++i) {
        const auto c = listed->getObject(static_cast<unsigned>(i));
        revoked[c->getValue<std::string>("party")] = c->getValue<bool>("revoked");
    }
    EXPECT_FALSE(revoked[kRegion]);
    EXPECT_TRUE(revoked["univ-montpellier"]);

    for (const auto& [operation, count] :
         {std::pair{"certificate-issued", 2u}, std::pair{"certificate-revoked", 1u}}) {
        r = passerelle(
            {"audit", "list", "--config", regionConfig().string(), "--operation", operation, "--json"},
            std::string("audit-") + operation);
        ASSERT_EQ(r.exitCode, 0) << r;
        EXPECT_EQ(parseArray(r.out)->size(), count) << operation << ": " << r.out;
    }
}

TEST_F(FederationCaTest, TheCommandsSayWhatIsWrongAndWhere) {
    writeConfigsAndKeys({kRegion, "univ-montpellier"});
    auto r = ca({"list"}, "ca-list-without-section");
    EXPECT_EQ(r.exitCode, 3) << r;
    EXPECT_NE(r.err.find("no [ca] section"), std::string::npos) << r;

    addCaSection();
    ASSERT_EQ(ca({"init"}, "ca-init").exitCode, 0);
    r = ca({"init", "--key-type", "ed25519"}, "ca-init-again");
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_NE(r.err.find("already holds a CA"), std::string::npos) << r;

    const fs::path csr = makeRequest("two-names", "/CN=univ-montpellier/CN=region-occitanie");
    r = ca({"issue", "--csr", csr.string(), "--out", (root() / "two-names.crt").string()},
           "ca-issue-two-names");
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_NE(r.err.find(csr.string()), std::string::npos) << r;
    EXPECT_NE(r.err.find("2 common names"), std::string::npos) << r;
    EXPECT_FALSE(fs::exists(root() / "two-names.crt"));

    r = ca({"revoke", "--party", "univ-montpellier"}, "ca-revoke-no-reason");
    EXPECT_EQ(r.exitCode, 2) << r;
    r = ca({"revoke", "--party", "univ-montpellier", "--reason", "stolen"}, "ca-revoke-bad-reason");
    EXPECT_EQ(r.exitCode, 1) << r;
    EXPECT_NE(r.err.find("keyCompromise"), std::string::npos) << r;

    r = passerelle({"ca", "issue", "--help"}, "ca-issue-help");
    EXPECT_EQ(r.exitCode, 0) << r;
    EXPECT_NE(r.out.find("--san NAME ..."), std::string::npos) << r;
    EXPECT_NE(r.out.find("serverAuth"), std::string::npos) << r;
}

}  // namespace
}  // namespace passerelle::integration
