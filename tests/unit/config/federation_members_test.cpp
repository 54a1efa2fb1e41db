// The federation's members list ([ca] members): who may enrol, checked line by line.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "common/errors.h"
#include "config/federation_members.h"
#include "config/gateway_config.h"

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

// The list is part of the configuration: loading it (as check-config does) checks it.
TEST(FederationMembers, ARegionConfigurationNamingABadListDoesNotLoadAndSaysWhichLine) {
    std::string pattern = (std::filesystem::temp_directory_path() / "passerelle-members-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    const std::filesystem::path dir = pattern;
    std::ofstream(dir / "region.ini") << "[gateway]\nrole = region\nparty = region-occitanie\nlisten = 127.0.0.1:0\n"
                                         "state_dir = state\n[tls]\ncertificate = c\nprivate_key = k\nca = a\n"
                                         "[sink]\nplugin = sink.csv\n[ca]\nfolder = ca\nmembers = members.txt\n"
                                         "public_url = https://region.example:8443/\n";
    std::ofstream(dir / "members.txt") << "0342321N univ-montpellier\n0311382K ut-capitole\n";
    std::string why;
    try {
        GatewayConfig::load(dir / "region.ini");
    } catch (const ConfigError& e) {
        why = e.what();
    }
    EXPECT_NE(why.find("key 'ca.members'"), std::string::npos) << why;
    EXPECT_NE(why.find((dir / "members.txt").string() + ":2: the UAI's check letter"), std::string::npos) << why;

    std::ofstream(dir / "members.txt") << "0342321N univ-montpellier\n0311382J ut-capitole\n";
    const auto config = GatewayConfig::load(dir / "region.ini");
    ASSERT_TRUE(config.ca.has_value());
    EXPECT_EQ(config.ca->members.size(), 2u);
    EXPECT_EQ(config.ca->publicUrl, "https://region.example:8443");
    EXPECT_EQ(config.ca->peerKeysFolder, dir / "ca" / "peers");

    std::ofstream(dir / "members.txt") << "0342321N univ-montpellier\n";
    std::string ini;
    {
        std::ifstream in(dir / "region.ini");
        ini.assign(std::istreambuf_iterator<char>(in), {});
    }
    ini.replace(ini.find("https://"), 8, "http://");
    std::ofstream(dir / "region.ini") << ini;
    why.clear();
    try {
        GatewayConfig::load(dir / "region.ini");
    } catch (const ConfigError& e) {
        why = e.what();
    }
    EXPECT_NE(why.find("key 'ca.public_url': must be an https:// URL"), std::string::npos) << why;
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace passerelle::config
