#include <gtest/gtest.h>

#include "validator_test_support.h"

namespace passerelle::record {
namespace {

using testing::check;
using testing::normalisedOk;
using testing::refused;

TEST(ValidatorCodes, IneHasThreeShapesAndIsUpperCased) {
    EXPECT_EQ(normalisedOk(Field::ine, "123456789AB"), "123456789AB");
    EXPECT_EQ(normalisedOk(Field::ine, "1234567890C"), "1234567890C");
    EXPECT_EQ(normalisedOk(Field::ine, "1234A56789D"), "1234A56789D");
    EXPECT_EQ(normalisedOk(Field::ine, "123456789ab"), "123456789AB");
    for (std::string_view bad : {"123456789A", "123456789ABC", "12345678ABC", "1234B56789D", "12345678901",
                                 "123456789A1", "123456789É"}) {
        EXPECT_TRUE(refused(Field::ine, bad)) << bad;
    }
}

TEST(ValidatorCodes, UaiCheckLetter) {
    EXPECT_EQ(normalisedOk(Field::institution_uai, "0342321N"), "0342321N");
    EXPECT_EQ(normalisedOk(Field::institution_uai, "0751717j"), "0751717J");
    EXPECT_EQ(normalisedOk(Field::institution_uai, "0130221V"), "0130221V");
    EXPECT_EQ(check(Field::institution_uai, "0342321A"),
              std::vector<std::string>{"UAI check letter does not match its 7 digits"});
    EXPECT_EQ(check(Field::institution_uai, "342321N"),
              std::vector<std::string>{"not a UAI: expected 7 digits followed by a check letter"});
    EXPECT_TRUE(refused(Field::institution_uai, "03423210"));
    EXPECT_TRUE(refused(Field::institution_uai, "0342321NN"));
}

TEST(ValidatorCodes, FranceTravailId) {
    EXPECT_EQ(normalisedOk(Field::france_travail_id, "1234567"), "1234567");
    EXPECT_EQ(normalisedOk(Field::france_travail_id, "12345678abc"), "12345678ABC");
    EXPECT_TRUE(refused(Field::france_travail_id, "123456"));
    EXPECT_TRUE(refused(Field::france_travail_id, "123456789012"));
    EXPECT_TRUE(refused(Field::france_travail_id, "1234-567"));
}

TEST(ValidatorCodes, PostalCodeAndCommune) {
    EXPECT_EQ(normalisedOk(Field::postal_code, "01000"), "01000");
    EXPECT_TRUE(refused(Field::postal_code, "1000"));
    EXPECT_TRUE(refused(Field::postal_code, "340000"));
    EXPECT_TRUE(refused(Field::postal_code, "2A004"));
    EXPECT_EQ(normalisedOk(Field::commune_insee, "34172"), "34172");
    EXPECT_EQ(normalisedOk(Field::commune_insee, "2A004"), "2A004");
    EXPECT_EQ(normalisedOk(Field::commune_insee, "2b033"), "2B033");
    EXPECT_TRUE(refused(Field::commune_insee, "2C004"));
    EXPECT_TRUE(refused(Field::commune_insee, "3417"));
    EXPECT_TRUE(refused(Field::commune_insee, "2A04X"));
}

TEST(ValidatorCodes, CertificationCodes) {
    EXPECT_EQ(normalisedOk(Field::rncp_code, "RNCP34034"), "RNCP34034");
    EXPECT_EQ(normalisedOk(Field::rncp_code, "rncp34034"), "RNCP34034");
    EXPECT_TRUE(refused(Field::rncp_code, "RNCP"));
    EXPECT_TRUE(refused(Field::rncp_code, "34034"));
    EXPECT_TRUE(refused(Field::rncp_code, "RNCP 34034"));
    EXPECT_TRUE(refused(Field::rncp_code, "RS5678"));
    EXPECT_EQ(normalisedOk(Field::rs_code, "RS5678"), "RS5678");
    EXPECT_TRUE(refused(Field::rs_code, "RNCP5678"));
    EXPECT_TRUE(refused(Field::rs_code, "RS56A"));
    EXPECT_EQ(normalisedOk(Field::formacode, "15041"), "15041");
    EXPECT_TRUE(refused(Field::formacode, "1504"));
    EXPECT_TRUE(refused(Field::formacode, "1504A"));
}

TEST(ValidatorCodes, ClosedVocabulariesAreUpperCased) {
    EXPECT_EQ(normalisedOk(Field::programme, "forpro_sup"), "FORPRO_SUP");
    EXPECT_EQ(normalisedOk(Field::programme, "CAPACITE_DROIT"), "CAPACITE_DROIT");
    EXPECT_TRUE(refused(Field::programme, "LICENCE"));
    EXPECT_EQ(normalisedOk(Field::certification_result, "Partial"), "PARTIAL");
    EXPECT_EQ(normalisedOk(Field::certification_result, "PENDING"), "PENDING");
    EXPECT_TRUE(refused(Field::certification_result, "PASSED"));
    for (std::string_view status :
         {"EMPLOYED_PERMANENT", "EMPLOYED_FIXED_6M_PLUS", "EMPLOYED_FIXED_UNDER_6M", "TEMPING", "WORK_STUDY",
          "SELF_EMPLOYED", "IN_TRAINING", "JOB_SEEKER_REGISTERED", "UNEMPLOYED_NOT_REGISTERED", "INACTIVE",
          "NO_ANSWER"}) {
        EXPECT_EQ(normalisedOk(Field::insertion_status, status), status);
    }
    EXPECT_EQ(normalisedOk(Field::insertion_status, "no_answer"), "NO_ANSWER");
    EXPECT_TRUE(refused(Field::insertion_status, "EMPLOYED"));
    EXPECT_TRUE(refused(Field::insertion_status, "UNEMPLOYED_NOT_REGISTERED_AND_MORE_TEXT_HERE"));
}

TEST(ValidatorCodes, DurableEmploymentBecomesTrueOrFalse) {
    for (std::string_view yes : {"true", "TRUE", "oui", "Oui", "yes", "1", "vrai"}) {
        EXPECT_EQ(normalisedOk(Field::durable_employment, yes), "true") << yes;
    }
    for (std::string_view no : {"false", "non", "NON", "no", "0", "faux"}) {
        EXPECT_EQ(normalisedOk(Field::durable_employment, no), "false") << no;
    }
    EXPECT_EQ(check(Field::durable_employment, "peut-être"),
              std::vector<std::string>{"not a yes/no value: expected true/false, oui/non, yes/no or 1/0"});
    EXPECT_TRUE(refused(Field::durable_employment, "2"));
    EXPECT_TRUE(refused(Field::durable_employment, "o"));
}

TEST(ValidatorCodes, StudentNumber) {
    EXPECT_EQ(normalisedOk(Field::local_student_id, "E2023-00042"), "E2023-00042");
    EXPECT_TRUE(refused(Field::local_student_id, "2023 00042"));
    EXPECT_TRUE(refused(Field::local_student_id, std::string(65, '7')));
    EXPECT_TRUE(refused(Field::local_student_id, "n°42"));
}

}  // namespace
}  // namespace passerelle::record
