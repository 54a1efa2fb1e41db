// passerelle check-config refuses a wrong configuration with exit code 3 and
// a message naming the wrong key, before anything runs.

#include "../support/exchange_fixture.h"

namespace passerelle::integration {
namespace {

constexpr int kExitConfig = 3;

class CheckConfigTest : public ExchangeTest {
protected:
    void SetUp() override {
        ExchangeTest::SetUp();
        makePki({kRegion, "univ-montpellier"});
        writeRegionConfig({{"univ-montpellier"}});
        keysInit(regionConfig(), "region");
        inst_ = writeInstitutionConfig("univ-montpellier", "univ-montpellier", 18443,
                                       makeExport("univ-montpellier", 5, 0, 1));
        keysInit(inst_.config, "univ-montpellier");
    }

    CommandResult checkConfig(const fs::path& config) {
        return passerelle({"check-config", "--config", config.string()},
                          "check-config." + std::to_string(++runs_));
    }

    // The configuration with exactly one change; the unchanged one passes (see Baseline).
    void change(const fs::path& config, const std::string& from, const std::string& to) {
        std::string text = readFile(config);
        const auto at = text.find(from);
        ASSERT_NE(at, std::string::npos) << "'" << from << "' is not in " << config;
        text.replace(at, from.size(), to);
        writeFile(config, text);
    }

    void expectRefusedNaming(const fs::path& config, const std::string& key) {
        const auto r = checkConfig(config);
        EXPECT_EQ(r.exitCode, kExitConfig) << r;
        EXPECT_NE(r.err.find(key), std::string::npos) << "the message must name '" << key << "'\n" << r;
        EXPECT_EQ(r.out.find("check-config: OK"), std::string::npos) << r;
    }

    Institution inst_;
    int runs_ = 0;
};

TEST_F(CheckConfigTest, BaselineConfigurationsPass) {
    ASSERT_FALSE(HasFailure());
    for (const fs::path& config : {regionConfig(), inst_.config}) {
        const auto r = checkConfig(config);
        EXPECT_EQ(r.exitCode, 0) << r;
        EXPECT_NE(r.out.find("check-config: OK"), std::string::npos) << r;
    }
}

TEST_F(CheckConfigTest, MisspelledKeyIsNamed) {
    ASSERT_FALSE(HasFailure());
    change(inst_.config, "role = institution", "rol = institution");
    expectRefusedNaming(inst_.config, "gateway.rol");
}

TEST_F(CheckConfigTest, JobMappingAnUnknownFieldIsNamed) {
    ASSERT_FALSE(HasFailure());
    change(inst_.config, "map.ine = COD_INE\n", "map.ine = COD_INE\nmap.favourite_colour = EMAIL\n");
    expectRefusedNaming(inst_.config, "job.survey-contact.map.favourite_colour");
}

TEST_F(CheckConfigTest, PurposeCarryingTheSocialSecurityNumberIsRefused) {
    ASSERT_FALSE(HasFailure());
    change(regionConfig(), "fields = birth_name, first_names, email,",
           "fields = birth_name, first_names, nir, email,");
    expectRefusedNaming(regionConfig(), "purpose.region-survey-contact.fields");
}

TEST_F(CheckConfigTest, PeerAcceptingAnUndefinedPurposeIsNamed) {
    ASSERT_FALSE(HasFailure());
    change(regionConfig(), "accept_purposes = region-survey-contact",
           "accept_purposes = region-survey-contactt");
    expectRefusedNaming(regionConfig(), "peer.univ-montpellier.accept_purposes");
}

// The delivery, schedule, listener and extraction keys: each mistake names its key.
TEST_F(CheckConfigTest, DeliveryScheduleAndListenerMistakesNameTheirKey) {
    ASSERT_FALSE(HasFailure());
    const std::string original = readFile(inst_.config);
    const std::string job = "[job.survey-contact]\n";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {job + "schedule = 0 25 * * *\n", "job.survey-contact.schedule"},       // hour out of range
        {job + "schedule = 0 6 1 * * *\n", "job.survey-contact.schedule"},      // six fields
        {job + "catch_up = perhaps\n", "job.survey-contact.catch_up"},
        {job + "exit_months_ago = 2000\n", "job.survey-contact.exit_months_ago"},
        {"[delivery]\ninitial_backoff_seconds = 60\nmax_backoff_seconds = 10\n\n" + job,
         "delivery.max_backoff_seconds"},
        {"[delivery]\nworkers = 0\n\n" + job, "delivery.workers"},
        {"[delivery]\nretries = 3\n\n" + job, "delivery.retries"},
        {"[http]\nburst = 0\n\n" + job, "http.burst"},
        {"[admin]\nlisten = 0.0.0.0:9100\n\n" + job, "admin.listen"},
        {"[admin]\nlisten = 127.0.0.1:http\n\n" + job, "admin.listen"},
    };
    for (const auto& [replacement, key] : cases) {
        writeFile(inst_.config, original);
        change(inst_.config, job, replacement);
        expectRefusedNaming(inst_.config, key);
    }
    // The same keys, right, pass.
    writeFile(inst_.config, original);
    change(inst_.config, job,
           "[delivery]\nworkers = 4\ndead_letter_after_hours = 24\n\n[http]\nrate_per_minute = 0\n\n"
           "[admin]\nlisten = 127.0.0.1:0\n\n" + job + "schedule = 0 6 1 * *\nexit_months_ago = 6\nincremental = true\n");
    const auto r = checkConfig(inst_.config);
    EXPECT_EQ(r.exitCode, 0) << r;
}

TEST_F(CheckConfigTest, AnExtractionPurposeMustBeDefinedAndServedByAnInstitution) {
    ASSERT_FALSE(HasFailure());
    const std::string peer = std::string("[peer.") + kRegion + "]\n";
    change(inst_.config, peer, peer + "extract_purposes = region-survey-contactt\n");
    expectRefusedNaming(inst_.config, std::string("peer.") + kRegion + ".extract_purposes");
    change(regionConfig(), "[peer.univ-montpellier]\n", "[peer.univ-montpellier]\nextract_purposes = region-survey-contact\n");
    expectRefusedNaming(regionConfig(), "peer.univ-montpellier.extract_purposes");
}

TEST_F(CheckConfigTest, CaSectionMistakesNameTheirKey) {
    ASSERT_FALSE(HasFailure());
    const std::string original = readFile(regionConfig());
    for (const auto& [section, key] : std::vector<std::pair<std::string, std::string>>{
             {"[ca]\ncertificate_days = 397\n", "ca.folder"},
             {"[ca]\nfolder = ca\ncertificate_days = 0\n", "ca.certificate_days"},
             {"[ca]\nfolder = ca\ncrl_days = 400\n", "ca.crl_days"},
             {"[ca]\nfolder = ca\nroot_key = offline\n", "ca.root_key"}}) {
        writeFile(regionConfig(), original + "\n" + section);
        expectRefusedNaming(regionConfig(), key);
    }
    writeFile(regionConfig(), original + "\n[ca]\nfolder = ca\ncertificate_days = 90\ncrl_days = 2\n");
    const auto r = checkConfig(regionConfig());
    EXPECT_EQ(r.exitCode, 0) << r;
}

}  // namespace
}  // namespace passerelle::integration
