#pragma once
// A hermetic exchange for one test: a temporary folder, a development PKI made
// for the test, each party's keys, INI configurations written by the test,
// and the Region's gateway started on a free loopback port.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <regex>
#include <set>

#include "child_process.h"

namespace passerelle::integration {

namespace fs = std::filesystem;

inline const fs::path kPasserelle = fs::path(PASSERELLE_BINARY_DIR) / "bin" / "passerelle";
inline const fs::path kSyntheticExport = fs::path(PASSERELLE_BINARY_DIR) / "bin" / "synthetic-export";
inline const fs::path kMakeDevPki = fs::path(PASSERELLE_SOURCE_DIR) / "certs" / "make-dev-pki";

inline constexpr const char* kRegion = "region-occitanie";
inline constexpr const char* kSurveyPurpose = "region-survey-contact";
inline constexpr const char* kStatisticsPurpose = "region-statistics";
inline const std::vector<std::string> kSurveyFields = {
    "birth_name",   "first_names", "email",      "mobile_phone", "institution_uai", "programme",
    "course_title", "rncp_code",   "entry_date", "exit_date",    "pseudonym"};

// The items of a purpose's GDPR art. 30 record that the tests do not look at.
inline std::string art30Items() {
    return "controller = Region (integration test)\n"
           "controller_contact = controller@region.example\n"
           "dpo_contact = dpo@region.example\n"
           "data_subjects = former trainees (synthetic)\n"
           "recipients = the Region's survey team (integration test)\n"
           "retention_days = 365\n"
           "security_measures = mutual TLS, sealed batches, signed manifests\n";
}

// Both sides declare the same purposes; what differs is who may send which.
inline std::string purposeSections() {
    return std::string("[purpose.region-survey-contact]\n") +
           "description = Region survey of former trainees (integration test)\n"
           "legal_basis = GDPR art. 6(1)(e) (integration test)\n"
           + art30Items() +
           "fields = birth_name, first_names, email, mobile_phone, institution_uai, programme, course_title, "
           "rncp_code, entry_date, exit_date, pseudonym\n"
           "required = local_student_id, birth_name, first_names, entry_date, exit_date\n"
           "pseudonym_domain = region-survey\n\n"
           "[purpose.region-statistics]\n"
           "description = Aggregate statistics (integration test)\n"
           "legal_basis = GDPR art. 6(1)(e) (integration test)\n"
           + art30Items() +
           "fields = programme, rncp_code, entry_date, exit_date, pseudonym\n"
           "required = local_student_id, entry_date, exit_date\n"
           "pseudonym_domain = region-statistics\n\n";
}

inline std::string apogeeMapping() {
    return "map.local_student_id = COD_ETU\n"
           "map.birth_name = NOM\n"
           "map.first_names = PRENOM\n"
           "map.birth_date = DATE_NAI\n"
           "map.email = EMAIL\n"
           "map.mobile_phone = TEL_PORTABLE\n"
           "map.ine = COD_INE\n"
           "map.course_title = LIB_FORMATION\n"
           "map.rncp_code = COD_RNCP\n"
           "map.entry_date = DATE_ENTREE\n"
           "map.exit_date = DATE_SORTIE\n"
           "map.programme = PROGRAMME\n";
}

struct RegionPeer {
    RegionPeer(std::string partyId, std::string purposes = kSurveyPurpose, std::string pin = {})
        : party(std::move(partyId)), acceptPurposes(std::move(purposes)), certificateSha256(std::move(pin)) {}
    std::string party;
    std::string acceptPurposes;
    std::string certificateSha256;  // written as certificate_sha256 when set
};

struct Institution {
    std::string party;
    fs::path dir;     // <root>/<label>: state/, keys/
    fs::path config;  // <root>/<label>.ini
    fs::path stateDir() const { return dir / "state"; }
    fs::path keysDir() const { return dir / "keys"; }
};

// Non-empty lines, without their CR.
inline std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) out.push_back(line);
    }
    return out;
}

inline std::vector<std::string> splitCells(const std::string& line, char delimiter) {
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                cell += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cell += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == delimiter) {
            cells.push_back(cell);
            cell.clear();
        } else {
            cell += c;
        }
    }
    cells.push_back(cell);
    return cells;
}

class RunningRegion {
public:
    RunningRegion(std::unique_ptr<ChildProcess> process, int port)
        : process_(std::move(process)), port_(port) {}
    ChildProcess& process() { return *process_; }
    int port() const { return port_; }
    std::string log() const { return process_->err(); }

private:
    std::unique_ptr<ChildProcess> process_;
    int port_;
};

class ExchangeTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "passerelle-integ-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        root_ = pattern;
        ASSERT_TRUE(fs::exists(kPasserelle)) << kPasserelle << " is not built";
    }

    void TearDown() override {
        // PASSERELLE_KEEP_TEST_FILES=1 keeps them after a success too.
        if (HasFailure() || std::getenv("PASSERELLE_KEEP_TEST_FILES") != nullptr) {
            std::cerr << "integration test files kept for inspection in " << root_ << "\n";
            return;
        }
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    fs::path root() const { return root_; }
    fs::path pki() const { return root_ / "pki"; }
    fs::path logs() const { return root_ / "logs"; }
    fs::path regionDir() const { return root_ / kRegion; }
    fs::path regionConfig() const { return root_ / "region-occitanie.ini"; }
    fs::path regionSink() const { return regionDir() / "survey"; }

    // A CA, a certificate per party, and the impostor of univ-montpellier from a foreign CA.
    void makePki(const std::vector<std::string>& parties) {
        std::vector<std::string> argv = {kMakeDevPki.string(), pki().string()};
        argv.insert(argv.end(), parties.begin(), parties.end());
        const auto r = runCommand(argv, logs() / "make-dev-pki", 60s);
        ASSERT_EQ(r.exitCode, 0) << r;
    }

    CommandResult passerelle(const std::vector<std::string>& args, const std::string& logName,
                             std::chrono::milliseconds timeout = 30s) {
        std::vector<std::string> argv = {kPasserelle.string()};
        argv.insert(argv.end(), args.begin(), args.end());
        return runCommand(argv, logs() / logName, timeout);
    }

    void keysInit(const fs::path& config, const std::string& label) {
        const auto r = passerelle({"keys", "init", "--config", config.string()}, label + ".keys-init");
        ASSERT_EQ(r.exitCode, 0) << r;
    }

    // An Apogée-style UTF-8 export of invented trainees, outside every state folder.
    fs::path makeExport(const std::string& name, int rows, int invalidPercent, int seed) {
        const fs::path file = root_ / "exports" / (name + ".csv");
        const auto r = runCommand(
            {kSyntheticExport.string(), "--rows", std::to_string(rows), "--profile", "apogee", "--encoding",
             "utf-8", "--invalid", std::to_string(invalidPercent), "--seed", std::to_string(seed)},
            root_ / "exports" / name);
        EXPECT_EQ(r.exitCode, 0) << r;
        fs::rename(root_ / "exports" / (name + ".out"), file);
        return file;
    }

    void writeRegionConfig(const std::vector<RegionPeer>& peers, const std::string& listen = "127.0.0.1:0") {
        std::ostringstream ini;
        ini << "[gateway]\nrole = region\nparty = " << kRegion << "\nname = Region (integration test)\n"
            << "listen = " << listen << "\nstate_dir = " << (regionDir() / "state").string()
            << "\nkeys_dir = " << (regionDir() / "keys").string()
            << "\nplugins_dir = " << PASSERELLE_PLUGIN_DIR
            << "\n\n[tls]\ncertificate = " << (pki() / "region-occitanie.crt").string()
            << "\nprivate_key = " << (pki() / "region-occitanie.key").string()
            << "\nca = " << (pki() / "ca.crt").string() << "\n\n"
            << purposeSections()
            << "[sink]\nplugin = sink.csv\nsettings.directory = " << regionSink().string() << "\n\n";
        for (const RegionPeer& p : peers) {
            ini << "[peer." << p.party
                << "]\npublic_keys = " << (root_ / p.party / "keys" / "public.keys").string()
                << "\naccept_purposes = " << p.acceptPurposes << "\n";
            if (!p.certificateSha256.empty()) ini << "certificate_sha256 = " << p.certificateSha256 << "\n";
            ini << "\n";
        }
        writeFile(regionConfig(), ini.str());
    }

    // `label` names the folder and config; `certificate` defaults to the PKI's <party>.crt.
    Institution writeInstitutionConfig(const std::string& party, const std::string& label, int regionPort,
                                       const fs::path& exportFile, std::optional<fs::path> certificate = {},
                                       std::optional<fs::path> privateKey = {}) {
        Institution inst{party, root_ / label, root_ / (label + ".ini")};
        std::ostringstream ini;
        ini << "[gateway]\nrole = institution\nparty = " << party << "\nname = " << party
            << " (integration test)\nuai = 0342321N\nstate_dir = " << inst.stateDir().string()
            << "\nkeys_dir = " << inst.keysDir().string() << "\nplugins_dir = " << PASSERELLE_PLUGIN_DIR
            << "\n\n[tls]\ncertificate = " << certificate.value_or(pki() / (party + ".crt")).string()
            << "\nprivate_key = " << privateKey.value_or(pki() / (party + ".key")).string()
            << "\nca = " << (pki() / "ca.crt").string() << "\n\n[peer." << kRegion
            << "]\nurl = https://localhost:" << regionPort
            << "\npublic_keys = " << (regionDir() / "keys" / "public.keys").string() << "\n\n"
            << purposeSections();
        for (const auto& [job, purpose] :
             {std::pair{"survey-contact", kSurveyPurpose}, std::pair{"statistics", kStatisticsPurpose}}) {
            ini << "[job." << job << "]\npurpose = " << purpose << "\nrecipient = " << kRegion
                << "\nsource = source.csv\nsource.path = " << exportFile.string()
                << "\nsource.encoding = utf-8\n"
                << apogeeMapping() << "\n";
        }
        writeFile(inst.config, ini.str());
        return inst;
    }

    // The common set-up: a PKI, the Region accepting both article 3-8 purposes from
    // univ-montpellier, running, and univ-montpellier configured against it, both with
    // keys. `amendRegionConfig` runs on the Region's configuration before it starts.
    // Returns nullptr (with a test failure recorded) when the Region does not start.
    std::unique_ptr<RunningRegion> startMontpellierExchange(const fs::path& exportFile, Institution& inst,
                                                             const std::function<void()>& amendRegionConfig = {}) {
        makePki({kRegion, "univ-montpellier"});
        writeRegionConfig({{"univ-montpellier", std::string(kSurveyPurpose) + ", " + kStatisticsPurpose}});
        if (amendRegionConfig) amendRegionConfig();
        keysInit(regionConfig(), "region");
        inst = writeInstitutionConfig("univ-montpellier", "univ-montpellier", 0, exportFile);
        keysInit(inst.config, "univ-montpellier");
        if (HasFailure()) return nullptr;
        auto region = startRegion();
        if (region) inst = writeInstitutionConfig("univ-montpellier", "univ-montpellier", region->port(), exportFile);
        return region;
    }

    // Starts `passerelle run` for the Region and reads the port it prints.
    std::unique_ptr<RunningRegion> startRegion(const std::string& logName = "region") {
        auto process = std::make_unique<ChildProcess>(
            std::vector<std::string>{kPasserelle.string(), "run", "--config", regionConfig().string()},
            logs() / logName);
        static const std::regex listening(R"(listening on https://127\.0\.0\.1:(\d+))");
        std::smatch match;
        std::string out;
        const bool started = waitUntil(
            [&] {
                out = process->out();
                return std::regex_search(out, match, listening) || !process->running();
            },
            15s);
        if (!started || match.empty()) {
            ADD_FAILURE() << "the Region's gateway did not start\n--- stdout ---\n"
                          << out << "\n--- stderr ---\n"
                          << process->err();
            return nullptr;
        }
        return std::make_unique<RunningRegion>(std::move(process), std::stoi(match[1].str()));
    }

    // SIGTERM must stop the gateway cleanly, with exit code 0.
    static void stopGateway(ChildProcess& process) {
        const auto code = process.terminate();
        ASSERT_TRUE(code.has_value()) << "the gateway did not stop within 15 s of SIGTERM";
        EXPECT_EQ(*code, 0) << "stderr:\n" << process.err();
    }

    Poco::JSON::Object::Ptr parseJson(const std::string& text) {
        try {
            return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
        } catch (const Poco::Exception& e) {
            ADD_FAILURE() << "not JSON (" << e.displayText() << "): " << text;
            return new Poco::JSON::Object;
        }
    }

    // The sink's batch files (<sender>_<batch>.csv), without index.csv and temporary files.
    std::vector<fs::path> sinkBatchFiles() const {
        std::vector<fs::path> files;
        if (!fs::is_directory(regionSink())) return files;
        for (const auto& e : fs::directory_iterator(regionSink())) {
            const std::string name = e.path().filename().string();
            if (e.is_regular_file() && name != "index.csv" && !name.starts_with(".") &&
                name.ends_with(".csv")) {
                files.push_back(e.path());
            }
        }
        std::sort(files.begin(), files.end());
        return files;
    }

private:
    fs::path root_;
};

}  // namespace passerelle::integration
