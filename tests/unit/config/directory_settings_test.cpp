// [directory]: the Region always has one (its defaults); an institution names the peer
// that publishes it, and each misplaced or wrong key is refused by name.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "common/errors.h"
#include "config/gateway_config.h"

namespace passerelle::config {
namespace {

class DirectorySettingsTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "passerelle-directory-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::filesystem::path write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ / name) << text;
        return dir_ / name;
    }
    std::filesystem::path region(const std::string& directory) {
        return write("region.ini", "[gateway]\nrole = region\nparty = region-occitanie\nlisten = 127.0.0.1:0\n"
                                   "state_dir = state\n[tls]\ncertificate = c\nprivate_key = k\nca = a\n"
                                   "[sink]\nplugin = sink.csv\n" +
                                       directory);
    }
    std::filesystem::path institution(const std::string& directory, const std::string& url = "https://region:8443",
                                      const std::string& crl = "crl = root.crl, crl.pem\n") {
        return write("institution.ini", "[gateway]\nrole = institution\nparty = univ-montpellier\nuai = 0342321N\n"
                                        "state_dir = state\n[tls]\ncertificate = c\nprivate_key = k\nca = a\n" +
                                            crl +
                                            "[peer.region-occitanie]\nurl = " +
                                            url + "\npublic_keys = region.keys\n" + directory);
    }
    static std::string refusal(const std::filesystem::path& file) {
        try {
            GatewayConfig::load(file);
        } catch (const ConfigError& e) {
            return e.what();
        }
        return "(accepted)";
    }

    std::filesystem::path dir_;
};

TEST_F(DirectorySettingsTest, TheRegionAlwaysHasOneInItsStateFolder) {
    const auto config = GatewayConfig::load(region(""));
    ASSERT_TRUE(config.directory.has_value());
    EXPECT_EQ(config.directory->file, dir_ / "state" / "directory.json");
    EXPECT_TRUE(config.directory->from.empty());
    EXPECT_EQ(GatewayConfig::load(region("[directory]\nfile = published/d.json\n")).directory->file,
              dir_ / "published" / "d.json");
    EXPECT_NE(refusal(region("[directory]\nfrom = region-occitanie\n")).find("key 'directory.from'"), std::string::npos);
    EXPECT_NE(refusal(region("[directory]\nrefresh_minutes = 5\n")).find("key 'directory.refresh_minutes'"),
              std::string::npos);
}

TEST_F(DirectorySettingsTest, AnInstitutionHasOneOnlyWithTheSectionAndItsPeer) {
    EXPECT_FALSE(GatewayConfig::load(institution("")).directory.has_value());
    const auto config = GatewayConfig::load(institution("[directory]\nfrom = region-occitanie\n"));
    ASSERT_TRUE(config.directory.has_value());
    EXPECT_EQ(config.directory->from, "region-occitanie");
    EXPECT_EQ(config.directory->refreshMinutes, 60u);
    EXPECT_EQ(config.directory->file, dir_ / "state" / "directory.json");

    EXPECT_NE(refusal(institution("[directory]\nrefresh_minutes = 5\n")).find("directory.from"), std::string::npos);
    EXPECT_NE(refusal(institution("[directory]\nfrom = another-region\n"))
                  .find("key 'directory.from': no [peer.another-region] section defines it"),
              std::string::npos)
        << refusal(institution("[directory]\nfrom = another-region\n"));
    EXPECT_NE(refusal(institution("[directory]\nfrom = region-occitanie\nrefresh_minutes = 0\n"))
                  .find("directory.refresh_minutes"),
              std::string::npos);
    EXPECT_NE(refusal(institution("[directory]\nfrom = region-occitanie\nsigned_by = x\n")).find("directory.signed_by"),
              std::string::npos);
    EXPECT_NE(refusal(institution("[directory]\nfrom = region-occitanie\n", "https://region:8443", ""))
                  .find("key 'directory.from': needs tls.crl"),
              std::string::npos)
        << "without [tls] crl, no revocation the directory carries would be in force";
}

}  // namespace
}  // namespace passerelle::config
