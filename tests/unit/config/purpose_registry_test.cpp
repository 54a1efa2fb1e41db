// A purpose is usable only with its whole GDPR art. 30 record, and a purpose
// that forbids a sensitivity class cannot carry a field of that class.

#include "common/errors.h"
#include "config/gateway_config.h"
#include "config/processing_register.h"

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace passerelle::config {
namespace {

namespace fs = std::filesystem;

// The art. 30 items of a complete purpose, key -> value, in the order written.
std::vector<std::pair<std::string, std::string>> completePurpose() {
    return {{"description", "6-month insertion survey results, under a pseudonym"},
            {"legal_basis", "GDPR art. 6(1)(e); convention art. 3-8"},
            {"controller", "Region (unit test)"},
            {"controller_contact", "controller@region.example"},
            {"dpo_contact", "dpo@region.example"},
            {"data_subjects", "former trainees (synthetic)"},
            {"fields", "pseudonym, programme, entry_date, exit_date, survey_date, insertion_status"},
            {"forbid_classes", "I, C"},
            {"recipients", "statistics team, survey team"},
            {"retention_days", "1825"},
            {"pseudonym_domain", "insertion-outcome"},
            {"security_measures", "mutual TLS, sealed batches"}};
}

class PurposeRegistryTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "passerelle-config-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override { fs::remove_all(dir_); }

    // A region configuration holding one purpose `outcome` made of `items`.
    // `peerLines` are added to the peer's section.
    fs::path write(const std::vector<std::pair<std::string, std::string>>& items, const std::string& peerLines = "") {
        const fs::path file = dir_ / "region.ini";
        std::ofstream out(file);
        out << "[gateway]\nrole = region\nparty = region-occitanie\nname = Region (unit test)\n"
               "listen = 127.0.0.1:0\nstate_dir = state\n\n"
               "[tls]\ncertificate = tls.crt\nprivate_key = tls.key\nca = ca.crt\n\n"
               "[sink]\nplugin = sink.csv\nsettings.directory = survey\n\n"
               "[peer.univ-montpellier]\npublic_keys = univ.keys\naccept_purposes = outcome\n"
            << peerLines << "\n[purpose.outcome]\n";
        for (const auto& [key, value] : items) out << key << " = " << value << "\n";
        return file;
    }

    // The ConfigError's message; fails the test when loading succeeds.
    std::string loadError(const fs::path& file) {
        try {
            GatewayConfig::load(file);
        } catch (const ConfigError& e) {
            return e.what();
        }
        ADD_FAILURE() << "the configuration loaded";
        return {};
    }

    fs::path dir_;
};

TEST_F(PurposeRegistryTest, CompletePurposeLoadsWithEveryArt30Item) {
    const auto config = GatewayConfig::load(write(completePurpose()));
    const PurposeSettings& p = config.purpose("outcome");
    EXPECT_EQ(p.controller, "Region (unit test)");
    EXPECT_EQ(p.controllerContact, "controller@region.example");
    EXPECT_EQ(p.dpoContact, "dpo@region.example");
    EXPECT_EQ(p.dataSubjects, "former trainees (synthetic)");
    EXPECT_EQ(p.recipients, (std::vector<std::string>{"statistics team", "survey team"}));
    EXPECT_EQ(p.retentionDays, 1825u);
    EXPECT_EQ(p.pseudonymDomain, "insertion-outcome");
    EXPECT_EQ(p.securityMeasures, (std::vector<std::string>{"mutual TLS", "sealed batches"}));
    EXPECT_EQ(p.forbiddenClasses,
              (std::vector<record::Sensitivity>{record::Sensitivity::Identifying, record::Sensitivity::Contact}));
    ASSERT_EQ(p.fields.size(), 6u);
    // Classes come from the record catalogue, not from the administrator.
    EXPECT_EQ(classLetter(p.fields[0]), 'P');
    EXPECT_EQ(classLetter(p.fields[1]), 'A');
    EXPECT_EQ(fieldWithClass(record::Field::email), "email (C)");
}

TEST_F(PurposeRegistryTest, EachMissingArt30ItemIsNamed) {
    for (const char* key : {"description", "legal_basis", "controller", "controller_contact", "dpo_contact",
                            "data_subjects", "fields", "recipients", "retention_days", "pseudonym_domain",
                            "security_measures"}) {
        auto items = completePurpose();
        std::erase_if(items, [&](const auto& item) { return item.first == key; });
        const std::string error = loadError(write(items));
        EXPECT_NE(error.find("'purpose.outcome." + std::string(key) + "'"), std::string::npos)
            << "missing " << key << ": " << error;
    }
}

TEST_F(PurposeRegistryTest, EmptyArt30ItemIsNamed) {
    auto items = completePurpose();
    for (auto& [key, value] : items) {
        if (key == "controller") value = "";
    }
    EXPECT_NE(loadError(write(items)).find("'purpose.outcome.controller'"), std::string::npos);
}

TEST_F(PurposeRegistryTest, RetentionMustBeAWholeNumberOfDays) {
    for (const char* bad : {"two years", "1.5", "0", "-3"}) {
        auto items = completePurpose();
        for (auto& [key, value] : items) {
            if (key == "retention_days") value = bad;
        }
        EXPECT_NE(loadError(write(items)).find("'purpose.outcome.retention_days'"), std::string::npos) << bad;
    }
}

TEST_F(PurposeRegistryTest, ForbiddenClassIsRefusedNamingTheField) {
    auto items = completePurpose();
    for (auto& [key, value] : items) {
        if (key == "fields") value = "pseudonym, programme, email, exit_date";
    }
    const std::string error = loadError(write(items));
    EXPECT_NE(error.find("'purpose.outcome.fields'"), std::string::npos) << error;
    EXPECT_NE(error.find("'email'"), std::string::npos) << error;
    EXPECT_NE(error.find("class C"), std::string::npos) << error;

    for (auto& [key, value] : items) {
        if (key == "fields") value = "pseudonym, birth_name";
    }
    EXPECT_NE(loadError(write(items)).find("'birth_name'"), std::string::npos);
}

TEST_F(PurposeRegistryTest, UnknownSensitivityClassAndUnknownKeyAreNamed) {
    auto items = completePurpose();
    for (auto& [key, value] : items) {
        if (key == "forbid_classes") value = "I, X";
    }
    EXPECT_NE(loadError(write(items)).find("'purpose.outcome.forbid_classes'"), std::string::npos);

    items = completePurpose();
    items.emplace_back("retention_dayz", "30");
    EXPECT_NE(loadError(write(items)).find("'purpose.outcome.retention_dayz'"), std::string::npos);
}

TEST_F(PurposeRegistryTest, CertificatePinIsReadAsLowerCaseHexAndAMalformedOneIsNamed) {
    const auto config =
        GatewayConfig::load(write(completePurpose(), "certificate_sha256 = AB:" + std::string(62, 'C') + "\n"));
    EXPECT_EQ(config.peer("univ-montpellier").certificateSha256, "ab" + std::string(62, 'c'));

    EXPECT_NE(loadError(write(completePurpose(), "certificate_sha256 = " + std::string(63, 'a') + "\n"))
                  .find("'peer.univ-montpellier.certificate_sha256'"),
              std::string::npos);
    EXPECT_NE(loadError(write(completePurpose(), "certificate_sha256 = " + std::string(64, 'g') + "\n"))
                  .find("'peer.univ-montpellier.certificate_sha256'"),
              std::string::npos);
}

TEST_F(PurposeRegistryTest, RegisterNamesEveryArt30ItemInEachFormat) {
    const auto config = GatewayConfig::load(write(completePurpose()));
    const std::string md = renderRegister(config, RegisterFormat::Markdown, "2026-01-01T00:00:00Z");
    for (const char* expected : {"Registre des activités de traitement", "Traitement `outcome`",
                                 "GDPR art. 6(1)(e); convention art. 3-8", "Region (unit test)",
                                 "dpo@region.example", "former trainees (synthetic)", "statistics team ; survey team",
                                 "1825 jours", "`insertion-outcome`", "mutual TLS ; sealed batches",
                                 "| `pseudonym` | P", "| `survey_date` | A", "univ-montpellier"}) {
        EXPECT_NE(md.find(expected), std::string::npos) << expected << "\n" << md;
    }
    const std::string csv = renderRegister(config, RegisterFormat::Csv, "2026-01-01T00:00:00Z");
    // A header and one row per field of the purpose.
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 6);
    EXPECT_NE(csv.find(",insertion_status,A,"), std::string::npos) << csv;
    const std::string json = renderRegister(config, RegisterFormat::Json, "2026-01-01T00:00:00Z");
    const auto root = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
    EXPECT_EQ(root->getObject("controller")->getValue<std::string>("party"), "region-occitanie");
    const auto purpose = root->getArray("purposes")->getObject(0);
    EXPECT_EQ(purpose->getValue<std::string>("id"), "outcome");
    EXPECT_EQ(purpose->getValue<unsigned>("retention_days"), 1825u);
    EXPECT_EQ(purpose->getObject("controller")->getValue<std::string>("contact"), "controller@region.example");
    EXPECT_EQ(purpose->getArray("fields")->getObject(0)->getValue<std::string>("class"), "P");
    EXPECT_EQ(purpose->getArray("peers")->getObject(0)->getValue<std::string>("party"), "univ-montpellier");
    EXPECT_EQ(registerFormatFromName("xml"), std::nullopt);
}

// The configuration names parties, purposes and pseudonym domains by the one rule a
// manifest's ids are checked against (common/identifiers.h), so no configured party
// or purpose is one the exchange would refuse, and none can climb out of a folder.
TEST_F(PurposeRegistryTest, PartyPeerPurposeAndDomainIdsFollowTheExchangesIdentifierRule) {
    auto replaced = [](std::string text, const std::string& from, const std::string& to) {
        const auto at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        if (at != std::string::npos) text.replace(at, from.size(), to);
        return text;
    };
    auto rewrite = [&](const fs::path& file, const std::string& from, const std::string& to) {
        std::ifstream in(file);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::ofstream(file) << replaced(text, from, to);
        return file;
    };
    const std::string longest(64, 'a');
    EXPECT_NO_THROW(GatewayConfig::load(rewrite(write(completePurpose()), "party = region-occitanie",
                                                "party = " + longest)));
    for (const std::string& bad : std::vector<std::string>{"-region", "_region", "Region", "../x", "a/b", "r\xc3\xa9gion", longest + "a"}) {
        SCOPED_TRACE(bad);
        EXPECT_NE(loadError(rewrite(write(completePurpose()), "party = region-occitanie", "party = " + bad))
                      .find("'gateway.party'"),
                  std::string::npos);
        EXPECT_NE(loadError(rewrite(write(completePurpose()), "[peer.univ-montpellier]", "[peer." + bad + "]"))
                      .find("a peer is named by its party id"),
                  std::string::npos);
        const fs::path purpose = rewrite(write(completePurpose()), "[purpose.outcome]", "[purpose." + bad + "]");
        EXPECT_NE(loadError(rewrite(purpose, "accept_purposes = outcome", "accept_purposes = " + bad))
                      .find("a purpose id is"),
                  std::string::npos);
        auto items = completePurpose();
        for (auto& [key, value] : items) {
            if (key == "pseudonym_domain") value = bad;
        }
        EXPECT_NE(loadError(write(items)).find("'purpose.outcome.pseudonym_domain'"), std::string::npos);
    }
}

}  // namespace
}  // namespace passerelle::config
