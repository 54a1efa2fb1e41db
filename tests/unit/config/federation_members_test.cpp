// The federation's members list ([ca] members): who may enrol, checked line by line.

#include <gtest/gtest.h>

#include "common/errors.h"
#include "config/federation_members.h"

namespace passerelle::config {
namespace {

std::string refusal(const std::string& text) {
    try {
        parseFederationMembers(text, "members.txt");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(accepted)";
}

TEST(FederationMembers, ReadsUaiPartyAndNameSkippingCommentsAndBlankLines) {
    const auto members = parseFederationMembers(
        "# who may enrol\n\n0342321N univ-montpellier Université de Montpellier  # Montpellier\n"
        "  0311382J   ut-capitole\tUniversité Toulouse 1 Capitole\n0301687W unimes\n",
        "members.txt");
    ASSERT_EQ(members.size(), 3u);
    EXPECT_EQ(members[0].uai, "0342321N");
    EXPECT_EQ(members[0].party, "univ-montpellier");
    EXPECT_EQ(members[0].name, "Université de Montpellier");
    EXPECT_EQ(members[1].party, "ut-capitole");
    EXPECT_EQ(members[1].name, "Université Toulouse 1 Capitole");
    EXPECT_EQ(members[2].name, "");
}

TEST(FederationMembers, AWrongCheckLetterIsRefusedNamingFileAndLine) {
    const auto why = refusal("0342321N univ-montpellier\n# x\n0342321P univ-other\n");
    EXPECT_NE(why.find("members.txt:3:"), std::string::npos) << why;
    EXPECT_NE(why.find("check letter"), std::string::npos) << why;
}

TEST(FederationMembers, AUaiOfAnotherShapeIsRefused) {
    EXPECT_NE(refusal("342321N univ-montpellier\n").find("members.txt:1: the UAI is not 7 digits"),
              std::string::npos);
    EXPECT_NE(refusal("0342321N\n").find("members.txt:1: expected 'UAI party-id Name'"), std::string::npos);
}

TEST(FederationMembers, ABadPartyIdIsRefused) {
    EXPECT_NE(refusal("0342321N Univ_Montpellier\n").find("members.txt:1: the party id"), std::string::npos);
}

TEST(FederationMembers, AUaiOrAPartyListedTwiceIsRefused) {
    EXPECT_NE(refusal("0342321N univ-montpellier\n0342321N unimes\n").find("members.txt:2: UAI 0342321N is listed twice"),
              std::string::npos);
    EXPECT_NE(refusal("0342321N unimes\n0301687W unimes\n").find("members.txt:2: party id 'unimes' is listed twice"),
              std::string::npos);
}

TEST(FederationMembers, TheShippedListHoldsTheSeventeenSignatories) {
    const auto members =
        readFederationMembers(std::filesystem::path(PASSERELLE_SOURCE_DIR) / "config" / "federation-members.txt");
    EXPECT_EQ(members.size(), 17u);
}

}  // namespace
}  // namespace passerelle::config
