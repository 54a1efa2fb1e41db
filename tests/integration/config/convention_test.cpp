// The convention's 17 signatories and the Region, as shipped in config/: every
// configuration passes check-config once scripts/check-convention has prepared
// what it points at. Run on a copy, so the repository is never written.

#include "../support/exchange_fixture.h"

#include <regex>

namespace passerelle::integration {
namespace {

const fs::path kConfigDir = fs::path(PASSERELLE_SOURCE_DIR) / "config";

std::vector<fs::path> institutionFiles() {
    std::vector<fs::path> files;
    for (const auto& item : fs::directory_iterator(kConfigDir / "institutions")) {
        if (item.path().extension() == ".ini") files.push_back(item.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::string keyOf(const std::string& text, const std::string& key) {
    std::smatch m;
    const std::regex line("(^|\n)" + key + " = ([^\n]*)");
    return std::regex_search(text, m, line) ? m[2].str() : std::string();
}

TEST(ConventionFiles, SeventeenSignatoriesEachWithAValidUaiAndEachAPeerOfTheRegion) {
    const auto files = institutionFiles();
    ASSERT_EQ(files.size(), 17u) << "the convention has 17 signatory institutions";
    const std::string region = readFile(kConfigDir / "region-occitanie.ini");
    // Who may enrol ([ca] members): the same 17, with the same UAIs.
    const std::string members = readFile(kConfigDir / "federation-members.txt");
    std::set<std::string> uais;
    for (const auto& file : files) {
        const std::string text = readFile(file);
        const std::string party = keyOf(text, "party");
        EXPECT_EQ(party + ".ini", file.filename().string()) << "a file is named after its party";
        EXPECT_FALSE(keyOf(text, "name").empty()) << file;
        const std::string uai = keyOf(text, "uai");
        ASSERT_EQ(uai.size(), 8u) << file;
        // The UAI's check letter: the 7 digits modulo 23, in an alphabet without I, O, Q.
        static const std::string kLetters = "ABCDEFGHJKLMNPRSTUVWXYZ";
        EXPECT_EQ(uai[7], kLetters[std::stoul(uai.substr(0, 7)) % 23]) << file << ": UAI check letter";
        EXPECT_TRUE(uais.insert(uai).second) << file << ": UAI used twice";
        EXPECT_NE(region.find("\n[peer." + party + "]\n"), std::string::npos)
            << "config/region-occitanie.ini does not list " << party << " as a peer";
        EXPECT_NE(members.find("\n" + uai + " " + party + " "), std::string::npos)
            << "config/federation-members.txt does not list " << party << " with its UAI";
    }
}

class ConventionCheck : public ExchangeTest {};

TEST_F(ConventionCheck, EveryConfigurationPassesCheckConfig) {
    const fs::path copy = root() / "convention";
    fs::create_directories(copy / "config" / "institutions");
    fs::copy_file(kConfigDir / "region-occitanie.ini", copy / "config" / "region-occitanie.ini");
    fs::copy_file(kConfigDir / "federation-members.txt", copy / "config" / "federation-members.txt");
    for (const auto& file : institutionFiles()) {
        fs::copy_file(file, copy / "config" / "institutions" / file.filename());
    }
    const auto r = runCommand({"/usr/bin/env", "PASSERELLE_BUILD_DIR=" + std::string(PASSERELLE_BINARY_DIR),
                               (fs::path(PASSERELLE_SOURCE_DIR) / "scripts" / "check-convention").string(),
                               "--root", copy.string(), "--no-build"},
                              logs() / "check-convention", 300s);
    ASSERT_EQ(r.exitCode, 0) << r;
    std::size_t passed = 0;
    for (std::size_t at = r.out.find(".ini: OK"); at != std::string::npos; at = r.out.find(".ini: OK", at + 1)) {
        ++passed;
    }
    EXPECT_EQ(passed, 18u) << "the Region and the 17 institutions\n" << r;
}

}  // namespace
}  // namespace passerelle::integration
