// ca init: a root and an issuing certificate that verify, the folder's and keys' modes,
// and a second init that refuses and changes nothing.

#include <gtest/gtest.h>

#include "federation_test_support.h"

namespace passerelle::federation::testing {
namespace {

bool hasCriticalCaConstraints(X509* certificate, long expectedPathLength) {
    int critical = 0;
    auto* constraints = static_cast<BASIC_CONSTRAINTS*>(
        X509_get_ext_d2i(certificate, NID_basic_constraints, &critical, nullptr));
    if (constraints == nullptr) return false;
    const bool ca = constraints->ca != 0;
    const long pathLength = constraints->pathlen ? ASN1_INTEGER_get(constraints->pathlen) : -1;
    BASIC_CONSTRAINTS_free(constraints);
    return ca && critical == 1 && pathLength == expectedPathLength;
}

class CaInit : public CaTest, public ::testing::WithParamInterface<KeyType> {};

TEST_P(CaInit, MakesARootAndAnIssuingCertificateThatVerifyStrictly) {
    initialise(GetParam());
    ASSERT_TRUE(root);
    ASSERT_TRUE(issuing);
    EXPECT_TRUE(hasCriticalCaConstraints(root.get(), -1));
    EXPECT_TRUE(hasCriticalCaConstraints(issuing.get(), 0)) << "the issuing CA signs leaves only (pathlen 0)";
    for (X509* c : {root.get(), issuing.get()}) {
        EXPECT_EQ(X509_get_key_usage(c), static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    }
    EXPECT_EQ(X509_check_issued(root.get(), issuing.get()), X509_V_OK);
    const auto result = verify(issuing.get(), {}, root.get(), inAnHour(), X509_PURPOSE_ANY);
    EXPECT_TRUE(result.ok) << X509_verify_cert_error_string(result.error);
    EXPECT_TRUE(EVP_PKEY_is_a(X509_get0_pubkey(root.get()), GetParam() == KeyType::P256 ? "EC" : "ED25519"));
}

TEST_P(CaInit, KeepsTheFolderAndTheKeysToItsOwner) {
    initialise(GetParam());
    EXPECT_EQ(modeOf(folder.dir), 0700u);
    EXPECT_EQ(modeOf(folder.rootKey()), 0600u);
    EXPECT_EQ(modeOf(folder.issuingKey()), 0600u);
    EXPECT_EQ(modeOf(folder.rootCertificate()), 0644u);
    EXPECT_EQ(modeOf(folder.issuingCertificate()), 0644u);
    EXPECT_EQ(readText(folder.trustFile()),
              readText(folder.rootCertificate()) + readText(folder.issuingCertificate()))
        << "the file every party's tls.ca names: the root, then the issuing CA";
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, CaInit, ::testing::Values(KeyType::P256, KeyType::Ed25519),
                         [](const auto& info) { return std::string(toText(info.param)); });

TEST_F(CaTest, ASecondInitRefusesAndChangesNothing) {
    initialise();
    const std::string rootKey = readText(folder.rootKey());
    const std::string rootCertificate = readText(folder.rootCertificate());
    const std::string issuingKey = readText(folder.issuingKey());
    try {
        CertificateAuthority::initialise(folder, KeyType::Ed25519, CaOperator{"region-occitanie", ""}, clock);
        FAIL() << "a second init was accepted";
    } catch (const CaError& e) {
        EXPECT_NE(std::string(e.what()).find("already holds a CA"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(folder.dir.string()), std::string::npos) << e.what();
    }
    EXPECT_EQ(readText(folder.rootKey()), rootKey);
    EXPECT_EQ(readText(folder.rootCertificate()), rootCertificate);
    EXPECT_EQ(readText(folder.issuingKey()), issuingKey);
}

TEST_F(CaTest, AKeyTypeOtherThanP256OrEd25519IsRefused) {
    EXPECT_EQ(parseKeyType("p256"), KeyType::P256);
    EXPECT_EQ(parseKeyType("ed25519"), KeyType::Ed25519);
    EXPECT_THROW(parseKeyType("rsa"), CaError);
}

TEST_F(CaTest, AnIssuingKeyReadableByOthersIsRefused) {
    initialise();
    std::filesystem::permissions(folder.issuingKey(), std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    try {
        CertificateAuthority refused(settings(), ledger, clock);
        FAIL() << "an issuing key readable by others was used";
    } catch (const KeyError& e) {
        EXPECT_NE(std::string(e.what()).find(folder.issuingKey().string()), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace passerelle::federation::testing
