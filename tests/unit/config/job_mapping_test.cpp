// A job's const.<field> and values.<field> keys: parsed into the job's
// settings when right, refused at load time naming the key when wrong, and the
// value-map syntax robust to values holding spaces, commas, accents, quotes,
// '|' and '=>'.

#include "config/job_mapping.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/errors.h"
#include "config/gateway_config.h"

namespace passerelle::config {
namespace {

namespace fs = std::filesystem;

using Entries = std::vector<std::pair<std::string, std::string>>;

Entries pairs(const std::vector<ValueMap::Entry>& entries) {
    Entries out;
    for (const auto& e : entries) out.emplace_back(e.from, e.to);
    return out;
}

// The ConfigError's message for a value map; fails the test when it parses.
std::string parseError(std::string_view text) {
    try {
        parseValueMap(text);
    } catch (const ConfigError& e) {
        return e.what();
    }
    ADD_FAILURE() << "the value map parsed: " << text;
    return {};
}

TEST(ValueMapSyntax, EntriesAreReadInOrderAndTrimmed) {
    EXPECT_EQ(
        pairs(
            parseValueMap("EMP => EMPLOYED_PERMANENT |REC=>JOB_SEEKER_REGISTERED|  FOR  =>  IN_TRAINING  ")),
        (Entries{{"EMP", "EMPLOYED_PERMANENT"}, {"REC", "JOB_SEEKER_REGISTERED"}, {"FOR", "IN_TRAINING"}}));
}

TEST(ValueMapSyntax, ValuesMayHoldSpacesCommasAndAccents) {
    EXPECT_EQ(pairs(parseValueMap("Demandeur d'emploi, inscrit => JOB_SEEKER_REGISTERED | Salarié en CDI => "
                                  "EMPLOYED_PERMANENT | Intérim => TEMPING")),
              (Entries{{"Demandeur d'emploi, inscrit", "JOB_SEEKER_REGISTERED"},
                       {"Salarié en CDI", "EMPLOYED_PERMANENT"},
                       {"Intérim", "TEMPING"}}));
}

TEST(ValueMapSyntax, QuotedValuesHoldSeparatorsQuotesAndNothing) {
    EXPECT_EQ(
        pairs(parseValueMap(R"("CDI | CDD" => EMPLOYED_PERMANENT | "a => b" => "x|y" | "" => NO_ANSWER | )"
                            R"("dit ""autre""" => INACTIVE | O"Neil => x)")),
        (Entries{{"CDI | CDD", "EMPLOYED_PERMANENT"},
                 {"a => b", "x|y"},
                 {"", "NO_ANSWER"},
                 {"dit \"autre\"", "INACTIVE"},
                 {"O\"Neil", "x"}}));
    EXPECT_EQ(pairs(parseValueMap(R"(INCONNU => "")")), (Entries{{"INCONNU", ""}}));
}

TEST(ValueMapSyntax, MalformedMapsNameTheEntryNeverAValue) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"SECRETVALUE EMPLOYED", "entry 1 has no '=>'"},
        {"A => B | SECRETVALUE", "entry 2 has no '=>'"},
        {"A => B => SECRETVALUE", "entry 1 has a second '=>'"},
        {" => SECRETVALUE", "entry 1: the 'from' value is empty"},
        {"SECRETVALUE => ", "entry 1: the 'to' value is empty"},
        {"A => B || C => D", "entry 2: the 'from' value is empty"},
        {"A => B |", "ends with '|' after entry 1"},
        {R"("SECRETVALUE => B)", "entry 1: the quoted 'from' value has no closing quote"},
        {R"("SECRET"VALUE => B)", "entry 1: text follows the closing quote"},
        {"SECRETVALUE => A | x => y | SECRETVALUE => B", "entry 3 replaces the same value as entry 1"},
        {"", "entry 1: the 'from' value is empty"},
    };
    for (const auto& [text, expected] : cases) {
        const std::string error = parseError(text);
        EXPECT_NE(error.find(expected), std::string::npos) << text << " -> " << error;
        EXPECT_EQ(error.find("SECRET"), std::string::npos) << "a value was quoted: " << error;
    }
}

TEST(ValueMapSyntax, FindMatchesTheTrimmedValueExactly) {
    ValueMap map{record::Field::insertion_status, {{"EMP", "EMPLOYED_PERMANENT"}, {"", "NO_ANSWER"}}, false};
    ASSERT_NE(map.find("  EMP\t"), nullptr);
    EXPECT_EQ(*map.find("EMP"), "EMPLOYED_PERMANENT");
    EXPECT_EQ(map.find("emp"), nullptr) << "matching is exact: case counts";
    EXPECT_EQ(map.find("EMPL"), nullptr);
    ASSERT_NE(map.find("   "), nullptr);
    EXPECT_EQ(*map.find(""), "NO_ANSWER");
}

class JobMappingTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "passerelle-job-mapping-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override { fs::remove_all(dir_); }

    // An institution configuration whose job `outcome` has the usual column
    // mapping followed by `jobLines`.
    fs::path write(const std::string& jobLines) {
        const fs::path file = dir_ / "institution.ini";
        std::ofstream out(file);
        out << "[gateway]\nrole = institution\nparty = univ-test\nuai = 0342321N\nstate_dir = state\n\n"
               "[tls]\ncertificate = tls.crt\nprivate_key = tls.key\nca = ca.crt\n\n"
               "[peer.region-occitanie]\nurl = https://region.example\npublic_keys = region.keys\n\n"
               "[purpose.insertion]\ndescription = insertion survey (unit test)\nlegal_basis = GDPR art. "
               "6(1)(e)\n"
               "controller = Region\ncontroller_contact = c@region.example\ndpo_contact = "
               "dpo@region.example\n"
               "data_subjects = former trainees (synthetic)\n"
               "fields = pseudonym, programme, entry_date, exit_date, insertion_status\n"
               "required = local_student_id, programme, entry_date, exit_date\n"
               "recipients = survey team\nretention_days = 365\npseudonym_domain = insertion\n"
               "security_measures = mutual TLS\n\n"
               "[job.outcome]\npurpose = insertion\nrecipient = region-occitanie\nsource = source.csv\n"
               "source.path = export.csv\n"
               "map.local_student_id = COD_ETU\nmap.entry_date = DATE_ENTREE\nmap.exit_date = DATE_SORTIE\n"
               "map.insertion_status = SITUATION_6M\n"
            << jobLines;
        return file;
    }

    std::string loadError(const std::string& jobLines) {
        try {
            GatewayConfig::load(write(jobLines));
        } catch (const ConfigError& e) {
            return e.what();
        }
        ADD_FAILURE() << "the configuration loaded with:\n" << jobLines;
        return {};
    }

    void expectRefused(const std::string& jobLines, const std::string& key, const std::string& why) {
        const std::string error = loadError(jobLines);
        EXPECT_NE(error.find("key '" + key + "'"), std::string::npos) << "must name " << key << ": " << error;
        EXPECT_NE(error.find(why), std::string::npos) << error;
    }

    fs::path dir_;
};

TEST_F(JobMappingTest, ConstantAndValueMapLoadIntoTheJob) {
    const auto config = GatewayConfig::load(
        write("const.programme = DAEU\n"
              "values.insertion_status = EMP => EMPLOYED_PERMANENT | REC => JOB_SEEKER_REGISTERED | "
              "FOR => IN_TRAINING\n"
              "values.insertion_status.strict = true\n"));
    const JobSettings& job = config.job("outcome");
    ASSERT_EQ(job.constants.size(), 1u);
    EXPECT_EQ(job.constants[0].field, record::Field::programme);
    EXPECT_EQ(job.constants[0].value, "DAEU");
    ASSERT_EQ(job.valueMaps.size(), 1u);
    EXPECT_EQ(job.valueMaps[0].field, record::Field::insertion_status);
    EXPECT_TRUE(job.valueMaps[0].strict);
    EXPECT_EQ(
        pairs(job.valueMaps[0].entries),
        (Entries{{"EMP", "EMPLOYED_PERMANENT"}, {"REC", "JOB_SEEKER_REGISTERED"}, {"FOR", "IN_TRAINING"}}));
}

TEST_F(JobMappingTest, ValueMapIsLenientUnlessStrict) {
    const auto config =
        GatewayConfig::load(write("const.programme = DAEU\n"
                                  "values.insertion_status = EMP => EMPLOYED_PERMANENT\n"));
    EXPECT_FALSE(config.job("outcome").valueMaps.at(0).strict);
}

TEST_F(JobMappingTest, ConstantFillsAFieldThePurposeRequires) {
    // programme is required by the purpose and has no column: the constant is enough.
    EXPECT_NO_THROW(GatewayConfig::load(write("const.programme = DAEU\n")));
    expectRefused("", "job.outcome.map.programme", "neither maps it nor sets it with const.programme");
}

TEST_F(JobMappingTest, FieldBothMappedAndConstantNamesBothKeys) {
    expectRefused("const.programme = DAEU\nconst.entry_date = 2024-01-01\n", "job.outcome.const.entry_date",
                  "job.outcome.map.entry_date");
}

TEST_F(JobMappingTest, UnknownFieldsAreNamed) {
    expectRefused("const.programme = DAEU\nconst.favourite_colour = blue\n",
                  "job.outcome.const.favourite_colour", "not a field of the trainee record");
    expectRefused("const.programme = DAEU\nvalues.favourite_colour = a => b\n",
                  "job.outcome.values.favourite_colour", "not a field of the trainee record");
    expectRefused("const.programme = DAEU\nconst.pseudonym = abc\n", "job.outcome.const.pseudonym",
                  "computed by the gateway");
}

TEST_F(JobMappingTest, MisspelledGroupIsAnUnknownKey) {
    expectRefused("const.programme = DAEU\nconstant.programme = DAEU\n", "job.outcome.constant.programme",
                  "unknown key");
}

TEST_F(JobMappingTest, ConstantTheFieldRefusesIsNamed) {
    expectRefused("const.programme = MASTER\n", "job.outcome.const.programme", "unknown programme");
}

TEST_F(JobMappingTest, ConstantIsCheckedAfterItsValueMap) {
    EXPECT_NO_THROW(
        GatewayConfig::load(write("const.programme = Diplôme d'accès\n"
                                  "values.programme = Diplôme d'accès => DAEU\n")));
    expectRefused("const.programme = Diplôme d'accès\n", "job.outcome.const.programme", "unknown programme");
}

TEST_F(JobMappingTest, MalformedValueMapNamesTheKeyAndTheEntry) {
    expectRefused("const.programme = DAEU\nvalues.insertion_status = EMP => EMPLOYED_PERMANENT | REC\n",
                  "job.outcome.values.insertion_status", "entry 2 has no '=>'");
}

TEST_F(JobMappingTest, ReplacementTheFieldRefusesIsNamed) {
    expectRefused(
        "const.programme = DAEU\nvalues.insertion_status = EMP => EMPLOYED | REC => JOB_SEEKER_REGISTERED\n",
        "job.outcome.values.insertion_status", "entry 1: the replacement is not a valid insertion_status");
}

TEST_F(JobMappingTest, ValueMapNeedsAValueToReplace) {
    expectRefused("const.programme = DAEU\nvalues.email = a => b@example.org\n", "job.outcome.values.email",
                  "neither mapped (map.email) nor constant (const.email)");
}

TEST_F(JobMappingTest, StrictNeedsItsMapAndOnlyStrictIsKnown) {
    expectRefused("const.programme = DAEU\nvalues.insertion_status.strict = true\n",
                  "job.outcome.values.insertion_status.strict", "no job.outcome.values.insertion_status map");
    expectRefused(
        "const.programme = DAEU\nvalues.insertion_status = EMP => TEMPING\n"
        "values.insertion_status.lenient = true\n",
        "job.outcome.values.insertion_status.lenient", "unknown key");
    expectRefused(
        "const.programme = DAEU\nvalues.insertion_status = EMP => TEMPING\n"
        "values.insertion_status.strict = maybe\n",
        "job.outcome.values.insertion_status.strict", "expected true or false");
}

TEST_F(JobMappingTest, StrictMapMustListTheConstant) {
    expectRefused(
        "const.programme = DAEU\nvalues.programme = Capacité => CAPACITE_DROIT\n"
        "values.programme.strict = true\n",
        "job.outcome.const.programme", "every row would be refused");
}

}  // namespace
}  // namespace passerelle::config
