#include <gtest/gtest.h>

#include "validator_test_support.h"

namespace passerelle::record {
namespace {

using testing::check;
using testing::normalisedOk;
using testing::refused;

TEST(ValidatorNames, KeepAccentsAndCollapseWhitespace) {
    EXPECT_EQ(normalisedOk(Field::birth_name, "Dupont-Écrivain"), "Dupont-Écrivain");
    EXPECT_EQ(normalisedOk(Field::birth_name, "  de   La\tFontaine-Ürümqi "), "de La Fontaine-Ürümqi");
    EXPECT_EQ(normalisedOk(Field::first_names, "Zoé \xC2\xA0 Anaïs   Maëlle"), "Zoé Anaïs Maëlle");
    EXPECT_EQ(normalisedOk(Field::usage_name, "N'Guessan"), "N'Guessan");
}

TEST(ValidatorNames, RefuseControlCharacters) {
    const std::vector<std::string> control{
        "contains a control character (tab, line break or other invisible code)"};
    EXPECT_EQ(check(Field::birth_name, "Dupont\nMartin"), control);
    EXPECT_EQ(check(Field::birth_name, std::string("Dup\0ont", 7)), control);
    EXPECT_EQ(check(Field::first_names, "Zo\x7F" "e"), control);
    EXPECT_EQ(check(Field::first_names, "Zo\xC2\x85" "e"), control);  // C1 NEXT LINE
}

TEST(ValidatorNames, AtMostOneHundredBytes) {
    const std::string hundred(100, 'a');
    EXPECT_EQ(normalisedOk(Field::birth_name, hundred), hundred);
    EXPECT_EQ(check(Field::birth_name, hundred + "a"), std::vector<std::string>{"name too long: at most 100 bytes"});
    // Fifty two-byte letters: exactly 100 bytes.
    std::string accents;
    for (int i = 0; i < 50; ++i) accents += "é";
    EXPECT_EQ(normalisedOk(Field::birth_name, accents), accents);
    EXPECT_TRUE(refused(Field::birth_name, accents + "é"));
    // Collapsing happens before the length check.
    EXPECT_EQ(normalisedOk(Field::birth_name, std::string(50, 'a') + std::string(200, ' ') + "b"),
              std::string(50, 'a') + " b");
}

TEST(ValidatorFreeText, LineBreaksBecomeSpaces) {
    EXPECT_EQ(normalisedOk(Field::postal_address, "12 rue des Essais\r\nBâtiment B"), "12 rue des Essais Bâtiment B");
    EXPECT_EQ(normalisedOk(Field::course_title, "DAEU   A"), "DAEU A");
    EXPECT_TRUE(refused(Field::exit_reason, "fin\x1B[31m"));
    EXPECT_TRUE(refused(Field::postal_address, std::string(501, 'x')));
    EXPECT_FALSE(refused(Field::postal_address, std::string(500, 'x')));
}

}  // namespace
}  // namespace passerelle::record
