// Revocation through the CRL files of [tls] crl: a revoked certificate is
// refused during the handshake, a new list is taken without a restart, and a
// list the gateway cannot use stops it at start, naming the file. Also the
// private key's mode.

#include "tls_fixture.h"

namespace passerelle::integration {
namespace {

struct X509Free { void operator()(X509* x) const { X509_free(x); } };
struct PkeyFree { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };

std::unique_ptr<X509, X509Free> readCertificate(const fs::path& file) {
    FILE* f = std::fopen(file.c_str(), "r");
    if (f == nullptr) return nullptr;
    std::unique_ptr<X509, X509Free> cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    return cert;
}

// A CRL from the CA of `pki` listing these certificates, valid from an hour ago
// for `validFor` (negative: already past its next update), written atomically.
void writeCrl(const fs::path& pki, const fs::path& file, const std::vector<fs::path>& revoked,
              std::chrono::seconds validFor = std::chrono::hours(24)) {
    const auto ca = readCertificate(pki / "ca.crt");
    FILE* f = std::fopen((pki / "ca.key").c_str(), "r");
    ASSERT_NE(f, nullptr);
    std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    ASSERT_TRUE(ca && key);
    X509_CRL* crl = X509_CRL_new();
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca.get()));
    ASN1_TIME* last = X509_gmtime_adj(nullptr, -3600);
    ASN1_TIME* next = X509_gmtime_adj(nullptr, static_cast<long>(validFor.count()));
    X509_CRL_set1_lastUpdate(crl, last);
    X509_CRL_set1_nextUpdate(crl, next);
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    for (const fs::path& certFile : revoked) {
        const auto cert = readCertificate(certFile);
        ASSERT_TRUE(cert) << certFile;
        X509_REVOKED* entry = X509_REVOKED_new();
        X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(cert.get()));
        ASN1_TIME* when = X509_gmtime_adj(nullptr, -60);
        X509_REVOKED_set_revocationDate(entry, when);
        ASN1_TIME_free(when);
        X509_CRL_add0_revoked(crl, entry);
    }
    X509_CRL_sort(crl);
    ASSERT_GT(X509_CRL_sign(crl, key.get(), EVP_sha256()), 0);
    const fs::path temporary = file.string() + ".tmp";
    FILE* out = std::fopen(temporary.c_str(), "w");
    ASSERT_NE(out, nullptr);
    PEM_write_X509_CRL(out, crl);
    std::fclose(out);
    X509_CRL_free(crl);
    fs::rename(temporary, file);
}

class RevocationTest : public TlsTest {};

TEST_F(RevocationTest, ARevokedCertificateIsRefusedDuringTheHandshakeAndANewListIsTakenWithoutRestart) {
    makePki({kRegion, "univ-montpellier", "univ-toulouse3"});
    const fs::path crl = pki() / "ca.crl";
    writeCrl(pki(), crl, {pki() / "univ-toulouse3.crt"});
    ASSERT_FALSE(HasFailure());
    startRegionWith({kRegion, "univ-montpellier", "univ-toulouse3"}, crl.string());
    ASSERT_FALSE(HasFailure());

    EXPECT_EQ(probe("univ-montpellier").status, 200) << region_->log();
    EXPECT_FALSE(probe("univ-toulouse3").answered) << "a revoked certificate was served";
    EXPECT_TRUE(regionLogSays("certificate revoked")) << region_->log();
    EXPECT_EQ(handshakeFailures("revoked_certificate"), 1);

    // The CA revokes univ-montpellier too: the running gateway takes the new list.
    writeCrl(pki(), crl, {pki() / "univ-toulouse3.crt", pki() / "univ-montpellier.crt"});
    ASSERT_FALSE(HasFailure());
    EXPECT_TRUE(waitUntil([&] { return !probe("univ-montpellier").answered; }, 10s))
        << "the new CRL was not taken without a restart\n" << region_->log();
    EXPECT_TRUE(regionLogSays("revocation lists read again")) << region_->log();

    // A file replaced by something that is not a CRL: logged, and the last good list stays in force.
    writeFile(crl, "not a CRL\n");
    EXPECT_TRUE(waitUntil([&] { return !probe("univ-montpellier").answered && regionLogSays("stay in force", 0s); },
                          10s))
        << region_->log();
    EXPECT_FALSE(probe("univ-montpellier").answered) << "a broken CRL file cancelled the revocations";
}

TEST_F(RevocationTest, AMissingBrokenOrExpiredListStopsTheGatewayAtStartNamingTheFile) {
    writeConfigsAndKeys({kRegion, "univ-montpellier"});
    const std::string ini = readFile(regionConfig());
    const std::string ca = "\nca = " + (pki() / "ca.crt").string() + "\n";
    const auto withCrl = [&](const fs::path& crl) {
        std::string amended = ini;
        amended.insert(amended.find(ca) + ca.size(), "crl = " + crl.string() + "\n");
        writeFile(regionConfig(), amended);
        return passerelle({"check-config", "--config", regionConfig().string()}, "check-config");
    };
    const fs::path missing = pki() / "missing.crl";
    auto r = withCrl(missing);
    EXPECT_NE(r.exitCode, 0) << r;
    EXPECT_NE((r.out + r.err).find(missing.string()), std::string::npos) << r;
    EXPECT_NE((r.out + r.err).find("tls.crl"), std::string::npos) << r;

    const fs::path broken = pki() / "broken.crl";
    writeFile(broken, "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n");
    r = withCrl(broken);
    EXPECT_NE(r.exitCode, 0) << r;
    EXPECT_NE((r.out + r.err).find(broken.string()), std::string::npos) << r;

    const fs::path expired = pki() / "expired.crl";
    writeCrl(pki(), expired, {}, -std::chrono::seconds(60));
    r = withCrl(expired);
    EXPECT_NE(r.exitCode, 0) << r;
    EXPECT_NE((r.out + r.err).find("past its next update"), std::string::npos) << r;

    const fs::path good = pki() / "good.crl";
    writeCrl(pki(), good, {});
    r = withCrl(good);
    EXPECT_EQ(r.exitCode, 0) << r;
}

TEST_F(RevocationTest, APrivateKeyOthersCanReadStopsTheGatewayNamingTheFileAndTheFix) {
    writeConfigsAndKeys({kRegion, "univ-montpellier"});
    const fs::path key = pki() / "region-occitanie.key";
    fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    const auto r = passerelle({"check-config", "--config", regionConfig().string()}, "check-config");
    EXPECT_NE(r.exitCode, 0) << r;
    const std::string said = r.out + r.err;
    EXPECT_NE(said.find(key.string()), std::string::npos) << r;
    EXPECT_NE(said.find("tls.private_key"), std::string::npos) << r;
    EXPECT_NE(said.find("chmod 600"), std::string::npos) << r;
}

}  // namespace
}  // namespace passerelle::integration
