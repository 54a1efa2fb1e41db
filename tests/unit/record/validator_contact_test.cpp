#include <gtest/gtest.h>

#include "validator_test_support.h"

namespace passerelle::record {
namespace {

using testing::check;
using testing::normalisedOk;
using testing::refused;

TEST(ValidatorEmail, AcceptsCommonAddressesAndLowerCasesTheDomain) {
    EXPECT_EQ(normalisedOk(Field::email, "zoe.dupont@example.org"), "zoe.dupont@example.org");
    EXPECT_EQ(normalisedOk(Field::email, "Zoe.Dupont+daeu@Univ-Exemple.FR"), "Zoe.Dupont+daeu@univ-exemple.fr");
    EXPECT_EQ(normalisedOk(Field::email, "z_d-1@mail.sub.example.com"), "z_d-1@mail.sub.example.com");
}

TEST(ValidatorEmail, RefusesMalformedAddresses) {
    EXPECT_EQ(check(Field::email, "zoe.dupont"),
              std::vector<std::string>{"not an e-mail address: expected local-part@domain.tld, without spaces, "
                                       "local part at most 64 characters"});
    for (std::string_view bad : {"@example.org", "zoe@", "zoe@example", "zoe@@example.org", "zoe@a@example.org",
                                 "zoe dupont@example.org", "zoe@exa mple.org", ".zoe@example.org",
                                 "zoe.@example.org", "zo..e@example.org", "zoe@-example.org", "zoe@example..org",
                                 "zoe@example.o", "zoe@example.c0m", "zoé@example.org", "zoe@example.org."}) {
        EXPECT_TRUE(refused(Field::email, bad)) << bad;
    }
    EXPECT_TRUE(refused(Field::email, std::string(65, 'a') + "@example.org"));
    EXPECT_FALSE(refused(Field::email, std::string(64, 'a') + "@example.org"));
}

TEST(ValidatorPhone, MetropolitanNumbersBecomePlus33) {
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "06 12 34 56 78"), "+33612345678");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "06.12.34.56.78"), "+33612345678");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "06-12-34-56-78"), "+33612345678");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "(06) 12 34 56 78"), "+33612345678");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0712345678"), "+33712345678");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "+33 6 12 34 56 78"), "+33612345678");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "+33 (0)6 12 34 56 78"), "+33612345678");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0033 6 12 34 56 78"), "+33612345678");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "01 23 45 67 89"), "+33123456789");
}

TEST(ValidatorPhone, OverseasDepartmentsKeepTheirCountryCodes) {
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0692 12 34 56"), "+262692123456");  // Réunion
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0693123456"), "+262693123456");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0262 12 34 56"), "+262262123456");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0263123456"), "+262263123456");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0639 12 34 56"), "+262639123456");  // Mayotte
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0269123456"), "+262269123456");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0690 12 34 56"), "+590690123456");  // Guadeloupe
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0691123456"), "+590691123456");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0590123456"), "+590590123456");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0694 12 34 56"), "+594694123456");  // Guyane
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0594123456"), "+594594123456");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0696 12 34 56"), "+596696123456");  // Martinique
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0697123456"), "+596697123456");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "0596123456"), "+596596123456");
    // Written with +33 by mistake: still routed to the department's own code.
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "+33 692 12 34 56"), "+262692123456");
    // Already international: kept.
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "+262 692 12 34 56"), "+262692123456");
}

TEST(ValidatorPhone, KeepsOtherInternationalNumbers) {
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "+32 470 12 34 56"), "+32470123456");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "+1 (555) 010-0199"), "+15550100199");
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "+12345678"), "+12345678");          // 8 digits
    EXPECT_EQ(normalisedOk(Field::mobile_phone, "+123456789012345"), "+123456789012345");  // 15 digits
}

TEST(ValidatorPhone, RefusesEverythingElse) {
    EXPECT_EQ(check(Field::mobile_phone, "612345678"),
              std::vector<std::string>{"not a phone number: expected 10 French digits starting with 0 (spaces, dots, "
                                       "dashes allowed), +33 / 0033 forms, or +country code with 8 to 15 digits"});
    for (std::string_view bad : {"061234567", "06123456789", "0012345678", "+1234567", "+1234567890123456",
                                 "+0612345678", "06 12 34 56 7a", "6+12345678", "++33612345678",
                                 "+33 6 12 34 56", "0044 20 7946 0000", "tel: 0612345678"}) {
        EXPECT_TRUE(refused(Field::mobile_phone, bad)) << bad;
    }
}

}  // namespace
}  // namespace passerelle::record
