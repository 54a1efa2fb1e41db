// Minimisation, proved on what the Region really stores: one export, one real
// transfer per article 3-8 purpose, then the Region's sealed batches opened with
// its own keys. Only the purpose's fields are there, and for insertion-outcome
// nothing that names or reaches a trainee.
//
// Failure messages name fields and record numbers, never a value.

#include "../support/exchange_fixture.h"

#include "config/gateway_config.h"
#include "privacy/batch_reader.h"
#include "privacy/party_keys.h"
#include "record/field_catalog.h"

namespace passerelle::integration {
namespace {

constexpr const char* kInstitution = "univ-montpellier";
constexpr const char* kOutcomePurpose = "insertion-outcome";
constexpr char kExportDelimiter = ';';

const std::vector<std::string> kOutcomeFields = {"pseudonym",  "institution_uai", "programme",
                                                 "course_title", "rncp_code",     "entry_date",
                                                 "exit_date",  "survey_date",     "insertion_status",
                                                 "durable_employment"};

std::string art30() {
    return "controller = Region (minimisation test)\n"
           "controller_contact = controller@region.example\n"
           "dpo_contact = dpo@region.example\n"
           "data_subjects = former trainees (synthetic)\n"
           "recipients = the Region's survey team\n"
           "retention_days = 365\n"
           "security_measures = mutual TLS, sealed batches, signed manifests\n";
}

// The two article 3-8 purposes, as the demo configures them.
std::string purposes() {
    return "[purpose.region-survey-contact]\n"
           "description = Region survey of former trainees\n"
           "legal_basis = GDPR art. 6(1)(e); convention art. 3-8\n" +
           art30() +
           "fields = birth_name, first_names, email, mobile_phone, institution_uai, programme, course_title, "
           "rncp_code, entry_date, exit_date, pseudonym\n"
           "required = local_student_id, birth_name, first_names, entry_date, exit_date\n"
           "pseudonym_domain = region-survey\n\n"
           "[purpose.insertion-outcome]\n"
           "description = 6-month insertion survey results, under a pseudonym\n"
           "legal_basis = GDPR art. 6(1)(e); convention art. 3-8\n" +
           art30() +
           "fields = pseudonym, institution_uai, programme, course_title, rncp_code, entry_date, exit_date, "
           "survey_date, insertion_status, durable_employment\n"
           "required = local_student_id, entry_date, exit_date, survey_date, insertion_status\n"
           "forbid_classes = I, C\n"
           "pseudonym_domain = insertion-outcome\n\n";
}

// Personal values of the export, by kind, in every form they could take once normalised.
struct ExportIdentities {
    std::set<std::string> names, emails, phones, ines, studentNumbers, birthDates;
};

std::string isoFromFrench(const std::string& d) {  // dd/mm/yyyy -> yyyy-mm-dd
    return d.size() == 10 ? d.substr(6, 4) + "-" + d.substr(3, 2) + "-" + d.substr(0, 2) : d;
}

ExportIdentities readIdentities(const fs::path& exportFile) {
    ExportIdentities ids;
    const auto rows = lines(readFile(exportFile));
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const auto cells = splitCells(rows[i], kExportDelimiter);
        if (cells.size() < 7) continue;
        ids.studentNumbers.insert(cells[0]);
        if (!cells[1].empty()) ids.names.insert(cells[1]);
        if (!cells[2].empty()) ids.names.insert(cells[2]);
        ids.birthDates.insert(cells[3]);
        ids.birthDates.insert(isoFromFrench(cells[3]));
        ids.emails.insert(cells[4]);
        std::string digits;
        for (char c : cells[5]) {
            if (c >= '0' && c <= '9') digits += c;
        }
        ids.phones.insert(cells[5]);  // as written: "06 12 34 56 78"
        ids.phones.insert(digits);    // national form without spaces
        if (digits.size() == 10 && digits[0] == '0') {
            ids.phones.insert("+33" + digits.substr(1));  // E.164
            ids.phones.insert("33" + digits.substr(1));
        }
        ids.ines.insert(cells[6]);
    }
    return ids;
}

struct StoredBatch {
    privacy::Manifest manifest;
    std::vector<std::vector<std::string>> records;
};

class MinimisationTest : public ExchangeTest {
protected:
    void SetUp() override {
        ExchangeTest::SetUp();
        makePki({kRegion, kInstitution});
        writeRegion();
        keysInit(regionConfig(), "region");
        exportFile_ = makeExport(kInstitution, 400, 8, 91);
        writeInstitution(0);
        keysInit(institutionConfig(), kInstitution);
    }

    fs::path institutionConfig() const { return root() / "univ-montpellier.ini"; }
    fs::path institutionDir() const { return root() / kInstitution; }

    void writeRegion() {
        std::ostringstream ini;
        ini << "[gateway]\nrole = region\nparty = " << kRegion << "\nlisten = 127.0.0.1:0\nstate_dir = "
            << (regionDir() / "state").string() << "\nkeys_dir = " << (regionDir() / "keys").string()
            << "\nplugins_dir = " << PASSERELLE_PLUGIN_DIR << "\n\n[tls]\ncertificate = "
            << (pki() / "region-occitanie.crt").string() << "\nprivate_key = "
            << (pki() / "region-occitanie.key").string() << "\nca = " << (pki() / "ca.crt").string() << "\n\n"
            << purposes() << "[sink]\nplugin = sink.csv\nsettings.directory = " << regionSink().string()
            << "\n\n[peer." << kInstitution << "]\npublic_keys = "
            << (institutionDir() / "keys" / "public.keys").string()
            << "\naccept_purposes = region-survey-contact, insertion-outcome\n";
        writeFile(regionConfig(), ini.str());
    }

    void writeInstitution(int regionPort) {
        std::ostringstream ini;
        ini << "[gateway]\nrole = institution\nparty = " << kInstitution << "\nuai = 0342321N\nstate_dir = "
            << (institutionDir() / "state").string() << "\nkeys_dir = " << (institutionDir() / "keys").string()
            << "\nplugins_dir = " << PASSERELLE_PLUGIN_DIR << "\n\n[tls]\ncertificate = "
            << (pki() / "univ-montpellier.crt").string() << "\nprivate_key = "
            << (pki() / "univ-montpellier.key").string() << "\nca = " << (pki() / "ca.crt").string()
            << "\n\n[peer." << kRegion << "]\nurl = https://localhost:" << regionPort
            << "\npublic_keys = " << (regionDir() / "keys" / "public.keys").string() << "\n\n"
            << purposes();
        const std::string source =
            "recipient = region-occitanie\nsource = source.csv\nsource.path = " + exportFile_.string() +
            "\nsource.encoding = utf-8\n";
        // The survey job maps more than it may send (birth_date, ine, local_student_id):
        // they are read for validation and identity only.
        ini << "[job.survey-contact]\npurpose = region-survey-contact\n" << source << apogeeMapping() << "\n"
            << "[job.insertion-outcome]\npurpose = insertion-outcome\n" << source
            << "map.local_student_id = COD_ETU\nmap.ine = COD_INE\nmap.programme = PROGRAMME\n"
               "map.course_title = LIB_FORMATION\nmap.rncp_code = COD_RNCP\nmap.entry_date = DATE_ENTREE\n"
               "map.exit_date = DATE_SORTIE\nmap.survey_date = DATE_ENQUETE\n"
               "map.insertion_status = SITUATION_6M\nmap.durable_employment = EMPLOI_DURABLE\n";
        writeFile(institutionConfig(), ini.str());
    }

    // Runs the job for real and returns the batch id the Region receipted, and the sealed count.
    std::pair<std::string, std::uint64_t> transfer(const std::string& job) {
        const auto r = passerelle({"transfer", "--config", institutionConfig().string(), "--job", job, "--json"},
                                  "transfer." + job);
        EXPECT_EQ(r.exitCode, 0) << r;
        const auto summary = parseJson(r.out);
        if (!summary->has("batch_id")) return {"", 0};
        EXPECT_TRUE(summary->getValue<bool>("receipted")) << r.out;
        return {summary->getValue<std::string>("batch_id"), summary->getValue<std::uint64_t>("sealed")};
    }

    // The batch as the Region stored it, opened with the Region's own keys.
    StoredBatch openStored(const std::string& batchId) {
        const auto regionKeys = privacy::PartyKeys::load(regionDir() / "keys");
        const auto sender = privacy::readPublicKeysFile(institutionDir() / "keys" / "public.keys");
        privacy::BatchReader reader(regionDir() / "state" / "inbox" / batchId, regionKeys,
                                    [&](const std::string& party) {
                                        if (party != sender.party) throw std::runtime_error("unknown sender");
                                        return sender.sign;
                                    });
        StoredBatch batch{reader.manifest(), {}};
        std::vector<std::string> values;
        while (reader.next(values)) batch.records.push_back(values);
        return batch;
    }

    static std::vector<std::string> purposeFieldNames(const config::GatewayConfig& config, const std::string& id) {
        std::vector<std::string> names;
        for (record::Field f : config.purpose(id).fields) names.emplace_back(record::nameOf(f));
        return names;
    }

    fs::path exportFile_;
};

TEST_F(MinimisationTest, StoredBatchesHoldOnlyThePurposeFieldsAndInsertionOutcomeNoIdentity) {
    ASSERT_FALSE(HasFailure());
    auto region = startRegion();
    ASSERT_TRUE(region);
    writeInstitution(region->port());
    const auto config = config::GatewayConfig::load(institutionConfig());
    const ExportIdentities ids = readIdentities(exportFile_);
    ASSERT_GT(ids.names.size(), 10u);

    const auto [surveyBatch, surveySealed] = transfer("survey-contact");
    const auto [outcomeBatch, outcomeSealed] = transfer("insertion-outcome");
    ASSERT_FALSE(surveyBatch.empty());
    ASSERT_FALSE(outcomeBatch.empty());
    ASSERT_NE(surveyBatch, outcomeBatch);

    // insertion-outcome: exactly its fields, none identifying or contact, no identity among the values.
    const StoredBatch outcome = openStored(outcomeBatch);
    EXPECT_EQ(outcome.manifest.purpose, kOutcomePurpose);
    EXPECT_EQ(outcome.manifest.fields, purposeFieldNames(config, kOutcomePurpose));
    EXPECT_EQ(outcome.manifest.fields, kOutcomeFields);
    for (const std::string& name : outcome.manifest.fields) {
        const auto field = record::fieldFromName(name);
        ASSERT_TRUE(field) << name;
        const auto cls = record::sensitivityOf(*field);
        EXPECT_NE(cls, record::Sensitivity::Identifying) << name << " is identifying";
        EXPECT_NE(cls, record::Sensitivity::Contact) << name << " is a contact field";
    }
    EXPECT_EQ(outcome.manifest.recordCount, outcomeSealed);
    ASSERT_EQ(outcome.records.size(), outcomeSealed);
    ASSERT_GT(outcome.records.size(), 300u);
    std::size_t statusColumn = 0;
    for (std::size_t i = 0; i < kOutcomeFields.size(); ++i) {
        if (kOutcomeFields[i] == "insertion_status") statusColumn = i;
    }
    for (std::size_t r = 0; r < outcome.records.size(); ++r) {
        const auto& values = outcome.records[r];
        ASSERT_EQ(values.size(), outcome.manifest.fields.size()) << "record " << r;
        EXPECT_FALSE(values[statusColumn].empty()) << "record " << r << " has no insertion_status";
        for (std::size_t v = 0; v < values.size(); ++v) {
            const std::string& value = values[v];
            const std::string& field = outcome.manifest.fields[v];
            EXPECT_FALSE(ids.names.contains(value)) << "record " << r << ", field " << field << ": a name";
            EXPECT_FALSE(ids.emails.contains(value)) << "record " << r << ", field " << field << ": an e-mail";
            EXPECT_FALSE(ids.phones.contains(value)) << "record " << r << ", field " << field << ": a phone";
            EXPECT_FALSE(ids.ines.contains(value)) << "record " << r << ", field " << field << ": an INE";
            EXPECT_FALSE(ids.studentNumbers.contains(value))
                << "record " << r << ", field " << field << ": a student number";
            EXPECT_EQ(value.find('@'), std::string::npos) << "record " << r << ", field " << field;
        }
    }

    // region-survey-contact: exactly its fields; what was mapped only for validation never appears.
    const StoredBatch survey = openStored(surveyBatch);
    EXPECT_EQ(survey.manifest.purpose, kSurveyPurpose);
    EXPECT_EQ(survey.manifest.fields, purposeFieldNames(config, kSurveyPurpose));
    EXPECT_EQ(survey.manifest.fields, kSurveyFields);
    for (const char* notAllowed : {"birth_date", "ine", "local_student_id"}) {
        EXPECT_EQ(std::count(survey.manifest.fields.begin(), survey.manifest.fields.end(), notAllowed), 0)
            << notAllowed;
    }
    EXPECT_EQ(survey.manifest.recordCount, surveySealed);
    ASSERT_EQ(survey.records.size(), surveySealed);
    ASSERT_GT(survey.records.size(), 300u);
    for (std::size_t r = 0; r < survey.records.size(); ++r) {
        const auto& values = survey.records[r];
        ASSERT_EQ(values.size(), survey.manifest.fields.size()) << "record " << r;
        for (std::size_t v = 0; v < values.size(); ++v) {
            const std::string& value = values[v];
            const std::string& field = survey.manifest.fields[v];
            EXPECT_FALSE(ids.birthDates.contains(value)) << "record " << r << ", field " << field << ": a birth date";
            EXPECT_FALSE(ids.ines.contains(value)) << "record " << r << ", field " << field << ": an INE";
            EXPECT_FALSE(ids.studentNumbers.contains(value))
                << "record " << r << ", field " << field << ": a student number";
        }
    }

    // The two purposes' pseudonyms live in different domains: no value is shared.
    std::set<std::string> surveyPseudonyms;
    for (const auto& values : survey.records) surveyPseudonyms.insert(values.back());
    for (std::size_t r = 0; r < outcome.records.size(); ++r) {
        EXPECT_FALSE(surveyPseudonyms.contains(outcome.records[r][0])) << "record " << r;
    }

    stopGateway(region->process());
}

}  // namespace
}  // namespace passerelle::integration
