// ca revoke and ca crl: a revoked certificate fails verification with the CRL, another
// passes; the CRL names the reason; each revocation is a ledger entry; the root key
// is not needed.

#include <gtest/gtest.h>

#include <map>

#include "federation/revocation_reason.h"
#include "federation_test_support.h"

namespace passerelle::federation::testing {
namespace {

class CaRevoke : public CaTest {
protected:
    void SetUp() override {
        initialise();
        // The root key goes offline before anything is issued, revoked or published.
        std::filesystem::rename(folder.rootKey(), dir.path() / "offline-root.key");
    }

    struct Issued {
        Certificate leaf;
        std::string serial;
    };
    Issued issueFor(const std::string& party) {
        const auto chain = ca().issue(IssueRequest{requestFor(party), false, {}});
        auto certificates = certificatesIn(chain.pem);
        return {std::move(certificates.at(0)), chain.certificate.serial};
    }

    RevocationList crl() { return revocationListFromPem(ca().makeCrl().pem); }

    Verification verifyWith(X509* leaf, X509_CRL* list) {
        return verify(leaf, {issuing.get()}, root.get(), inAnHour(), X509_PURPOSE_SSL_CLIENT, {list});
    }
};

TEST_F(CaRevoke, ARevokedCertificateFailsWithTheCrlAndAnotherPasses) {
    const auto stolen = issueFor("univ-montpellier");
    const auto kept = issueFor("univ-toulouse3");
    ca().revoke(RevocationTarget{stolen.serial, ""}, RevocationReason::KeyCompromise);
    const auto list = crl();
    ASSERT_TRUE(list);

    const auto refused = verifyWith(stolen.leaf.get(), list.get());
    EXPECT_FALSE(refused.ok);
    EXPECT_EQ(refused.error, X509_V_ERR_CERT_REVOKED) << X509_verify_cert_error_string(refused.error);
    const auto accepted = verifyWith(kept.leaf.get(), list.get());
    EXPECT_TRUE(accepted.ok) << X509_verify_cert_error_string(accepted.error);
}

// A gateway whose tls.ca holds the issuing CA checks every CA of the chain: the root's
// list that ca init made covers the issuing certificate.
TEST_F(CaRevoke, WithTheRootsListTheWholeChainIsCheckedForRevocation) {
    const auto stolen = issueFor("univ-montpellier");
    const auto kept = issueFor("univ-toulouse3");
    ca().revoke(RevocationTarget{stolen.serial, ""}, RevocationReason::KeyCompromise);
    const auto list = crl();
    const auto rootList = revocationListFromPem(readText(folder.rootCrl()));
    ASSERT_TRUE(rootList);
    EXPECT_EQ(X509_CRL_verify(rootList.get(), X509_get0_pubkey(root.get())), 1);
    const auto both = {list.get(), rootList.get()};
    const auto accepted =
        verify(kept.leaf.get(), {issuing.get()}, root.get(), inAnHour(), X509_PURPOSE_SSL_CLIENT, both, true);
    EXPECT_TRUE(accepted.ok) << X509_verify_cert_error_string(accepted.error);
    const auto refused = verify(stolen.leaf.get(), {issuing.get()}, root.get(), inAnHour(),
                                X509_PURPOSE_SSL_CLIENT, both, true);
    EXPECT_EQ(refused.error, X509_V_ERR_CERT_REVOKED) << X509_verify_cert_error_string(refused.error);
    const auto withoutRootList = verify(kept.leaf.get(), {issuing.get()}, root.get(), inAnHour(),
                                        X509_PURPOSE_SSL_CLIENT, {list.get()}, true);
    EXPECT_FALSE(withoutRootList.ok) << "the root's list is what makes the whole-chain check pass";
}

TEST_F(CaRevoke, TheCrlIsSignedByTheIssuingKeyAndNamesEachReason) {
    const auto a = issueFor("univ-montpellier");
    const auto b = issueFor("univ-toulouse3");
    issueFor("imt-mines-albi");
    ca().revoke(RevocationTarget{a.serial, ""}, RevocationReason::KeyCompromise);
    ca().revoke(RevocationTarget{"", "univ-toulouse3"}, RevocationReason::CessationOfOperation);
    const auto list = crl();
    ASSERT_TRUE(list);
    EXPECT_EQ(X509_CRL_verify(list.get(), X509_get0_pubkey(issuing.get())), 1);
    EXPECT_EQ(X509_NAME_cmp(X509_CRL_get_issuer(list.get()), X509_get_subject_name(issuing.get())), 0);
    int days = 0, seconds = 0;
    ASN1_TIME_diff(&days, &seconds, X509_CRL_get0_lastUpdate(list.get()),
                   X509_CRL_get0_nextUpdate(list.get()));
    EXPECT_EQ(days, 7) << "[ca] crl_days";

    STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(list.get());
    ASSERT_EQ(sk_X509_REVOKED_num(revoked), 2);
    std::map<std::string, long> reasons;
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
        X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, i);
        auto* code =
            static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nullptr, nullptr));
        ASSERT_NE(code, nullptr);
        reasons[serialHex(X509_REVOKED_get0_serialNumber(entry))] = ASN1_ENUMERATED_get(code);
        ASN1_ENUMERATED_free(code);
    }
    EXPECT_EQ(reasons[a.serial], 1) << "keyCompromise";
    EXPECT_EQ(reasons[b.serial], 5) << "cessationOfOperation";
}

TEST_F(CaRevoke, CrlNumbersGrow) {
    const auto first = ca().makeCrl();
    const auto second = ca().makeCrl();
    EXPECT_EQ(first.number, 1u);
    EXPECT_EQ(second.number, 2u);
    EXPECT_EQ(first.revoked, 0u);
}

TEST_F(CaRevoke, EachRevocationIsALedgerEntryAndTheListShowsIt) {
    const auto a = issueFor("univ-montpellier");
    ca().revoke(RevocationTarget{a.serial, ""}, RevocationReason::Superseded);
    const auto entries = ledger.entries();
    ASSERT_EQ(entries.size(), 2u) << "one issuance, one revocation";
    EXPECT_TRUE(entries[1].is(ledger::Operation::CertificateRevoked));
    EXPECT_EQ(entries[1].outcome, "revoked");
    EXPECT_EQ(entries[1].counterpart, "univ-montpellier");
    EXPECT_NE(entries[1].reason.find("serial " + a.serial), std::string::npos) << entries[1].reason;
    EXPECT_NE(entries[1].reason.find("superseded"), std::string::npos) << entries[1].reason;

    const auto issued = ca().issued();
    ASSERT_EQ(issued.size(), 1u);
    ASSERT_TRUE(issued[0].revocation);
    EXPECT_EQ(issued[0].revocation->reason, RevocationReason::Superseded);
}

TEST_F(CaRevoke, ASerialInLowerCaseIsTheSameSerial) {
    const auto a = issueFor("univ-montpellier");
    std::string lower = a.serial;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(ca().revoke(RevocationTarget{lower, ""}, RevocationReason::Unspecified).size(), 1u);
}

TEST_F(CaRevoke, UnknownSerialsRepeatedRevocationsAndPartiesWithoutCertificatesAreRefused) {
    const auto a = issueFor("univ-montpellier");
    EXPECT_THROW(ca().revoke(RevocationTarget{"ABCDEF", ""}, RevocationReason::KeyCompromise), CaError);
    EXPECT_THROW(ca().revoke(RevocationTarget{"not-hex", ""}, RevocationReason::KeyCompromise), CaError);
    EXPECT_THROW(ca().revoke(RevocationTarget{"", "univ-toulouse3"}, RevocationReason::KeyCompromise),
                 CaError);
    ca().revoke(RevocationTarget{a.serial, ""}, RevocationReason::KeyCompromise);
    try {
        ca().revoke(RevocationTarget{a.serial, ""}, RevocationReason::Superseded);
        FAIL() << "revoked twice";
    } catch (const CaError& e) {
        EXPECT_NE(std::string(e.what()).find("already revoked"), std::string::npos) << e.what();
    }
    EXPECT_EQ(ledger.size(), 2u) << "refusals write nothing";
}

TEST_F(CaRevoke, AReasonIsOneOfRfc5280s) {
    EXPECT_EQ(parseRevocationReason("keyCompromise"), RevocationReason::KeyCompromise);
    EXPECT_EQ(parseRevocationReason("affiliationChanged"), RevocationReason::AffiliationChanged);
    try {
        parseRevocationReason("stolen");
        FAIL();
    } catch (const CaError& e) {
        EXPECT_NE(std::string(e.what()).find("cessationOfOperation"), std::string::npos) << e.what();
    }
}

TEST_F(CaRevoke, TheUnspecifiedReasonIsLeftOutOfTheCrlEntryAsRfc5280Asks) {
    const auto a = issueFor("univ-montpellier");
    ca().revoke(RevocationTarget{a.serial, ""}, RevocationReason::Unspecified);
    const auto list = crl();
    X509_REVOKED* entry = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(list.get()), 0);
    int critical = 0;
    EXPECT_EQ(X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, &critical, nullptr), nullptr);
    EXPECT_FALSE(verifyWith(a.leaf.get(), list.get()).ok);
}

}  // namespace
}  // namespace passerelle::federation::testing
