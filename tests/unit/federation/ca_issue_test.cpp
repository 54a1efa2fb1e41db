// ca issue: what an issued certificate holds, that its chain verifies against the root
// alone, and each request the CA refuses, with a message naming the file.

#include <gtest/gtest.h>

#include <set>

#include "federation_test_support.h"

namespace passerelle::federation::testing {
namespace {

std::string commonNameOf(X509* certificate) {
    const X509_NAME* subject = X509_get_subject_name(certificate);
    const int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                       ASN1_STRING_length(value));
}

int commonNameCount(X509* certificate) {
    int count = 0;
    for (int at = -1;
         (at = X509_NAME_get_index_by_NID(X509_get_subject_name(certificate), NID_commonName, at)) >= 0;)
        ++count;
    return count;
}

// "DNS:a", "IP:127.0.0.1"...
std::vector<std::string> altNamesOf(X509* certificate) {
    std::vector<std::string> names;
    auto* all =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; all != nullptr && i < sk_GENERAL_NAME_num(all); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(all, i);
        if (name->type == GEN_DNS) {
            names.push_back("DNS:" +
                            std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
                                        ASN1_STRING_length(name->d.dNSName)));
        } else if (name->type == GEN_IPADD) {
            const auto* bytes = ASN1_STRING_get0_data(name->d.iPAddress);
            std::string text = "IP:";
            for (int b = 0; b < ASN1_STRING_length(name->d.iPAddress); ++b) {
                text += (b ? "." : "") + std::to_string(bytes[b]);
            }
            names.push_back(text);
        }
    }
    GENERAL_NAMES_free(all);
    return names;
}

class CaIssue : public CaTest {
protected:
    void SetUp() override { initialise(); }

    std::vector<Certificate> issueFor(const std::string& party, bool server = false,
                                      std::vector<std::string> extra = {}) {
        IssueRequest request{requestFor(party), server, std::move(extra)};
        const auto chain = ca().issue(request);
        auto certificates = certificatesIn(chain.pem);
        EXPECT_EQ(certificates.size(), 2u) << "the leaf, then the issuing certificate";
        return certificates;
    }

    void expectRefused(const std::filesystem::path& csr, const std::string& words) {
        try {
            ca().issue(IssueRequest{csr, false, {}});
            FAIL() << "issued for a request that should be refused (" << words << ")";
        } catch (const CaError& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find(csr.string()), std::string::npos) << "the message names the file: " << what;
            EXPECT_NE(what.find(words), std::string::npos) << what;
        }
        EXPECT_TRUE(ca().issued().empty()) << "a refused request left nothing issued";
        EXPECT_EQ(ledger.size(), 0u) << "and no ledger entry";
    }
};

TEST_F(CaIssue, ACertificateCarriesThePartyIdClientAuthAndTheConfiguredValidity) {
    const auto chain = issueFor("univ-montpellier");
    X509* leaf = chain[0].get();
    EXPECT_EQ(commonNameCount(leaf), 1);
    EXPECT_EQ(commonNameOf(leaf), "univ-montpellier");
    EXPECT_EQ(altNamesOf(leaf), std::vector<std::string>{"DNS:univ-montpellier"});
    EXPECT_EQ(X509_get_extended_key_usage(leaf), static_cast<std::uint32_t>(XKU_SSL_CLIENT));
    EXPECT_EQ(X509_get_key_usage(leaf), static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
    EXPECT_EQ(X509_check_ca(leaf), 0);
    int days = 0, seconds = 0;
    ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(leaf), X509_get0_notAfter(leaf)), 1);
    EXPECT_EQ(days, 397);
    EXPECT_EQ(seconds, 0);
    EXPECT_EQ(X509_cmp(chain[1].get(), issuing.get()), 0)
        << "the chain file ends with the issuing certificate";

    const auto asClient = verify(leaf, {chain[1].get()}, root.get(), inAnHour(), X509_PURPOSE_SSL_CLIENT);
    EXPECT_TRUE(asClient.ok) << X509_verify_cert_error_string(asClient.error);
    const auto asServer = verify(leaf, {chain[1].get()}, root.get(), inAnHour(), X509_PURPOSE_SSL_SERVER);
    EXPECT_FALSE(asServer.ok) << "without --server, no serverAuth";
}

TEST_F(CaIssue, WithServerAndExtraNamesItIsAlsoATlsServerCertificate) {
    const auto chain = issueFor("region-occitanie", true, {"localhost", "127.0.0.1"});
    X509* leaf = chain[0].get();
    EXPECT_EQ(X509_get_extended_key_usage(leaf), static_cast<std::uint32_t>(XKU_SSL_CLIENT | XKU_SSL_SERVER));
    EXPECT_EQ(altNamesOf(leaf),
              (std::vector<std::string>{"DNS:region-occitanie", "DNS:localhost", "IP:127.0.0.1"}));
    for (int purpose : {X509_PURPOSE_SSL_CLIENT, X509_PURPOSE_SSL_SERVER}) {
        const auto result = verify(leaf, {chain[1].get()}, root.get(), inAnHour(), purpose);
        EXPECT_TRUE(result.ok) << purpose << ": " << X509_verify_cert_error_string(result.error);
    }
}

TEST_F(CaIssue, AnEd25519CaIssuesCertificatesThatVerify) {
    TempDir other;
    CaFolder edFolder{other.path() / "ca"};
    CertificateAuthority::initialise(edFolder, KeyType::Ed25519, CaOperator{"region-occitanie", ""}, clock);
    config::CaSettings s = settings();
    s.folder = edFolder.dir;
    CertificateAuthority edCa(s, ledger, clock);
    const auto chain = certificatesIn(edCa.issue(IssueRequest{requestFor("univ-toulouse3"), true, {}}).pem);
    ASSERT_EQ(chain.size(), 2u);
    const auto edRoot = certificateFromPem(readText(edFolder.rootCertificate()));
    const auto result =
        verify(chain[0].get(), {chain[1].get()}, edRoot.get(), inAnHour(), X509_PURPOSE_SSL_CLIENT);
    EXPECT_TRUE(result.ok) << X509_verify_cert_error_string(result.error);
}

TEST_F(CaIssue, SerialsArePositiveRandom128BitNumbersNeverRepeated) {
    std::set<std::string> serials;
    constexpr int kIssues = 60;
    for (int i = 0; i < kIssues; ++i) {
        const auto chain = issueFor("univ-montpellier");
        const ASN1_INTEGER* serial = X509_get0_serialNumber(chain[0].get());
        BIGNUM* number = ASN1_INTEGER_to_BN(serial, nullptr);
        EXPECT_FALSE(BN_is_negative(number));
        EXPECT_LE(BN_num_bits(number), 128);
        EXPECT_GT(BN_num_bits(number), 64);
        BN_free(number);
        serials.insert(serialHex(serial));
    }
    ERR_clear_error();
    EXPECT_EQ(serials.size(), static_cast<std::size_t>(kIssues));
    EXPECT_EQ(ca().issued().size(), static_cast<std::size_t>(kIssues));
}

TEST_F(CaIssue, ACertificateNeverOutlivesTheIssuingCertificate) {
    clock.advanceDays(CertificateAuthority::kIssuingDays - 10);
    const auto chain = issueFor("univ-montpellier");
    EXPECT_EQ(ASN1_TIME_compare(X509_get0_notAfter(chain[0].get()), X509_get0_notAfter(issuing.get())), 0);
}

TEST_F(CaIssue, ARequestThatDoesNotParseIsRefused) {
    expectRefused(
        requestFile("-----BEGIN CERTIFICATE REQUEST-----\nnot base64\n-----END CERTIFICATE REQUEST-----\n"),
        "not a certificate signing request");
}

TEST_F(CaIssue, ARequestWhoseSignatureDoesNotVerifyIsRefused) {
    const auto key = makeP256Key();
    const auto other = makeP256Key();
    // The request of one key, its public key swapped for another's: the signature no longer matches.
    auto request = requestFromPem(makeRequestPem(key.get(), {"univ-montpellier"}));
    X509_REQ_set_pubkey(request.get(), other.get());
    BIO* pem = BIO_new(BIO_s_mem());
    PEM_write_bio_X509_REQ(pem, request.get());
    char* data = nullptr;
    const long size = BIO_get_mem_data(pem, &data);
    const std::string forged(data, static_cast<std::size_t>(size));
    BIO_free(pem);
    expectRefused(requestFile(forged), "signature does not verify");
}

TEST_F(CaIssue, ARequestWithoutACommonNameIsRefused) {
    const auto key = makeP256Key();
    expectRefused(requestFile(makeRequestPem(key.get(), {}, "Université de Montpellier")),
                  "has 0 common names");
}

TEST_F(CaIssue, ARequestWithSeveralCommonNamesIsRefused) {
    const auto key = makeP256Key();
    expectRefused(requestFile(makeRequestPem(key.get(), {"univ-montpellier", "region-occitanie"})),
                  "has 2 common names");
}

TEST_F(CaIssue, ARequestWhoseCommonNameIsNotAPartyIdIsRefused) {
    const auto key = makeP256Key();
    expectRefused(requestFile(makeRequestPem(key.get(), {"Univ Montpellier/../x"})), "is not a party id");
}

TEST_F(CaIssue, AnExpiredIssuingCertificateIssuesNothing) {
    clock.advanceDays(CertificateAuthority::kIssuingDays + 1);
    const auto csr = requestFor("univ-montpellier");
    try {
        ca().issue(IssueRequest{csr, false, {}});
        FAIL() << "issued under an expired issuing certificate";
    } catch (const CaError& e) {
        EXPECT_NE(std::string(e.what()).find(folder.issuingCertificate().string() + " expired on"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_TRUE(ca().issued().empty());
    EXPECT_EQ(ledger.size(), 0u);
}

TEST_F(CaIssue, AnExtraNameThatIsNeitherAHostNorAnAddressIsRefused) {
    EXPECT_THROW(ca().issue(IssueRequest{requestFor("univ-montpellier"), false, {"a,DNS:evil"}}), CaError);
    EXPECT_THROW(ca().issue(IssueRequest{requestFor("univ-montpellier"), false, {"-bad.example"}}), CaError);
    EXPECT_TRUE(ca().issued().empty());
}

TEST_F(CaIssue, IssuingWorksWithTheRootKeyOffline) {
    std::filesystem::rename(folder.rootKey(), dir.path() / "offline-root.key");
    const auto chain = issueFor("univ-montpellier");
    const auto result =
        verify(chain[0].get(), {chain[1].get()}, root.get(), inAnHour(), X509_PURPOSE_SSL_CLIENT);
    EXPECT_TRUE(result.ok) << X509_verify_cert_error_string(result.error);
}

TEST_F(CaIssue, EachIssuanceIsALedgerEntryNamingThePartyAndTheSerial) {
    issueFor("univ-montpellier");
    issueFor("univ-toulouse3", true);
    const auto issued = ca().issued();
    const auto entries = ledger.entries();
    ASSERT_EQ(entries.size(), 2u);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        EXPECT_TRUE(entries[i].is(ledger::Operation::CertificateIssued));
        EXPECT_EQ(entries[i].outcome, "issued");
        EXPECT_EQ(entries[i].counterpart, issued[i].party);
        EXPECT_NE(entries[i].reason.find("serial " + issued[i].serial), std::string::npos)
            << entries[i].reason;
        EXPECT_NE(entries[i].reason.find("sha256 " + issued[i].sha256), std::string::npos)
            << entries[i].reason;
        EXPECT_EQ(entries[i].reason.find("PRIVATE"), std::string::npos);
    }
    EXPECT_NE(entries[1].reason.find("serverAuth"), std::string::npos);
}

}  // namespace
}  // namespace passerelle::federation::testing
