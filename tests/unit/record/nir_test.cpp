#include "record/nir.h"

#include <gtest/gtest.h>

namespace passerelle::record {
namespace {

// Synthetic numbers: key = 97 - (first 13 digits mod 97), computed by hand.
TEST(Nir, DetectsCorrectlyKeyedNumberInAnyLayout) {
    EXPECT_TRUE(looksLikeNir("185057800608491"));
    EXPECT_TRUE(looksLikeNir("1 85 05 78 006 084 91"));
    EXPECT_TRUE(looksLikeNir("1.85.05.78.006.084.91"));
    EXPECT_TRUE(looksLikeNir("290027512000577"));
}

TEST(Nir, RefusesWrongKey) {
    EXPECT_FALSE(looksLikeNir("185057800608492"));
    EXPECT_FALSE(looksLikeNir("1 85 05 78 006 084 90"));
}

TEST(Nir, CorsicanDepartementsUseSubstitutedDigits) {
    EXPECT_TRUE(looksLikeNir("1 85 06 2A 000 123 95"));  // 2A counts as 19
    EXPECT_TRUE(looksLikeNir("185061900012395"));  // the same number written with 19
    EXPECT_TRUE(looksLikeNir("1 85 06 2B 000 123 25"));  // 2B counts as 18
    EXPECT_TRUE(looksLikeNir("1 85 06 2b 000 123 25"));
    EXPECT_FALSE(looksLikeNir("1 85 06 2A 000 123 25"));
}

TEST(Nir, IgnoresOtherShapes) {
    EXPECT_FALSE(looksLikeNir(""));
    EXPECT_FALSE(looksLikeNir("485057800608491")) << "first digit must be 1, 2, 3, 7 or 8";
    EXPECT_FALSE(looksLikeNir("18505780060849"));   // 14 characters
    EXPECT_FALSE(looksLikeNir("1850578006084911"));  // 16 characters
    EXPECT_FALSE(looksLikeNir("+33612345678"));
    EXPECT_FALSE(looksLikeNir("0612345678"));
    EXPECT_FALSE(looksLikeNir("1 85 05 7X 006 084 91"));
}

}  // namespace
}  // namespace passerelle::record
