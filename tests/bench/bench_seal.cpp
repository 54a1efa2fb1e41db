// bench-seal: how fast an institution's export becomes a sealed batch, and how
// much memory that takes. Everything is real: the synthetic-export generator
// writes an Apogée-shaped Windows-1252 CSV, the source.csv plugin reads it, and
// exchange::BatchPreparer maps, validates, pseudonymises and seals it.
//
//   bench-seal [--rows N] [--stage csv|validate|pseudonymise|seal|all] [--repeat R] [--keep] [--incremental]
//
// --incremental: the job is incremental; `seal` runs twice over the same export,
// the second time with every trainee already in the cursor (all unchanged, none
// sealed), to measure what holding the whole cursor costs.
//
// Stages are cumulative, to show where the time goes:
//   csv           the plugin reads and transcodes every row (nothing else)
//   validate      + columns mapped onto a TraineeRecord, RecordValidator::normalise
//   pseudonymise  + identityKey and Pseudonymiser::pseudonymOf
//   seal          BatchPreparer::prepare: all of the above + minimisation, the
//                 encrypted payload, manifest, signature, fsync, ledger and outbox
// Prints rows, wall and CPU seconds, records/s (per CPU-second: the pipeline is
// single-threaded) and peak RSS (getrusage ru_maxrss and VmHWM). Not a test:
// nothing here asserts a speed.

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/errors.h"
#include "party/gateway.h"
#include "plugin/plugin_host.h"
#include "privacy/party_keys.h"
#include "privacy/pseudonymiser.h"
#include "record/identity.h"
#include "record/record_validator.h"
#include "record/trainee_record.h"
#include "send/batch_preparer.h"

namespace {

namespace fs = std::filesystem;
using namespace passerelle;

constexpr std::string_view kJob = "bench";
constexpr std::string_view kUai = "0342321N";  // a UAI whose check letter is right

// A private folder under TMPDIR, removed on exit unless --keep.
class TempFolder {
public:
    explicit TempFolder(bool keep) : keep_(keep) {
        std::string pattern = (fs::temp_directory_path() / "bench-seal-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("cannot create a temporary folder under " + fs::temp_directory_path().string());
        }
        path_ = pattern;
    }
    ~TempFolder() {
        if (keep_) {
            std::cerr << "bench-seal: kept " << path_ << "\n";
            return;
        }
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempFolder(const TempFolder&) = delete;
    TempFolder& operator=(const TempFolder&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
    bool keep_;
};

std::string shellQuoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

void generateExport(const fs::path& csv, std::uint64_t rows) {
    const std::string command = shellQuoted(PASSERELLE_SYNTHETIC_EXPORT) + " --rows " + std::to_string(rows) +
                                " --profile apogee --encoding windows-1252 --seed 1 > " + shellQuoted(csv.string()) +
                                " 2>/dev/null";
    if (std::system(command.c_str()) != 0) {
        throw std::runtime_error("synthetic-export failed: " + command);
    }
}

// The shape of config/demo/univ-montpellier.ini, with every path in the folder.
fs::path writeInstitutionConfig(const fs::path& root, const fs::path& csv, bool incremental) {
    privacy::KeyFolder::generate(root / "keys", "univ-bench");
    privacy::KeyFolder::generate(root / "region-keys", "region-occitanie");
    for (const char* name : {"tls.crt", "tls.key", "ca.crt"}) {
        std::ofstream(root / name) << "# GatewayConfig::load does not read TLS files\n";
    }
    const fs::path file = root / "institution.ini";
    std::ofstream out(file);
    out << "[gateway]\n"
           "role = institution\n"
           "party = univ-bench\n"
           "name = Benchmark university\n"
           "uai = " << kUai << "\n"
           "state_dir = state\n"
           "keys_dir = keys\n"
           "plugins_dir = " << PASSERELLE_PLUGIN_DIR << "\n"
           "\n[tls]\n"
           "certificate = tls.crt\n"
           "private_key = tls.key\n"
           "ca = ca.crt\n"
           "\n[peer.region-occitanie]\n"
           "url = https://localhost:18443\n"
           "public_keys = region-keys/public.keys\n"
           "\n[purpose.region-survey-contact]\n"
           "description = Benchmark purpose, the demo's survey-contact purpose\n"
           "legal_basis = GDPR art. 6(1)(e)\n"
           "controller = Benchmark university\n"
           "controller_contact = bench@univ-bench.example\n"
           "dpo_contact = dpo@univ-bench.example\n"
           "data_subjects = synthetic trainees\n"
           "recipients = region-occitanie\n"
           "retention_days = 365\n"
           "security_measures = benchmark only\n"
           "fields = birth_name, first_names, email, mobile_phone, institution_uai, programme, course_title, "
           "rncp_code, entry_date, exit_date, pseudonym\n"
           "required = local_student_id, birth_name, first_names, entry_date, exit_date\n"
           "pseudonym_domain = region-survey\n"
           "\n[job." << kJob << "]\n"
           "purpose = region-survey-contact\n"
           "recipient = region-occitanie\n"
           "incremental = " << (incremental ? "true" : "false") << "\n"
           "source = source.csv\n"
           "source.path = " << csv.string() << "\n"
           "source.encoding = windows-1252\n"
           "map.local_student_id = COD_ETU\n"
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
    if (!out.flush()) {
        throw std::runtime_error("cannot write " + file.string());
    }
    return file;
}

enum class Stage { Csv, Validate, Pseudonymise, Seal };

std::string_view nameOf(Stage s) {
    switch (s) {
        case Stage::Csv: return "csv";
        case Stage::Validate: return "validate";
        case Stage::Pseudonymise: return "pseudonymise";
        case Stage::Seal: return "seal";
    }
    return "?";
}

struct Counts {
    std::uint64_t rows = 0;
    std::uint64_t good = 0;  // rows that reached the end of the stage
};

// The csv / validate / pseudonymise stages: BatchPreparer's loop, cut short.
Counts runPartial(exchange::Gateway& gateway, Stage stage) {
    const config::GatewayConfig& config = gateway.config();
    const config::JobSettings& job = config.job(std::string(kJob));
    const config::PurposeSettings& purpose = config.purpose(job.purpose);
    auto reader = plugin::SourcePlugin::load(config.pluginsDir, job.source)->open(job.sourceSettings);

    std::vector<std::pair<record::Field, std::size_t>> columns;
    for (const config::ColumnMapping& m : job.mapping) {
        const auto& names = reader->columns();
        const auto it = std::find(names.begin(), names.end(), m.column);
        if (it == names.end()) throw ConfigError("column " + m.column + " is not in the export");
        columns.emplace_back(m.field, static_cast<std::size_t>(it - names.begin()));
    }
    const record::RecordValidator validator(purpose.required);
    const privacy::Pseudonymiser pseudonymiser(gateway.keys(), purpose.pseudonymDomain);

    Counts counts;
    record::TraineeRecord record;
    std::string identity;
    std::string pseudonym;
    psl_row row{};
    psl_error err{};
    for (;;) {
        const auto step = reader->next(row, err);
        if (step == plugin::SourceReader::Step::End) break;
        ++counts.rows;
        if (step == plugin::SourceReader::Step::RowError) continue;
        if (stage == Stage::Csv) {
            ++counts.good;
            continue;
        }
        record.clear();
        record.sourceLine = row.line;
        for (const auto& [field, index] : columns) {
            if (index < row.cell_count) {
                record.set(field, std::string_view(row.cells[index].data, row.cells[index].size));
            }
        }
        record.set(record::Field::institution_uai, config.uai);
        if (!validator.normalise(record).empty()) continue;
        if (stage == Stage::Pseudonymise) {
            record::identityKey(record, config.uai, identity);
            pseudonymiser.pseudonymOf(identity, pseudonym);
        }
        ++counts.good;
    }
    return counts;
}

Counts runSeal(exchange::Gateway& gateway, std::optional<std::string>& batchId) {
    exchange::BatchPreparer preparer(exchange::sendingParts(gateway));
    const exchange::PreparedBatch batch = preparer.prepare(std::string(kJob), "bench");
    batchId = batch.batchId;
    return {batch.rowsRead, batch.sealed};
}

double cpuSeconds() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return seconds(ru.ru_utime) + seconds(ru.ru_stime);
}

long maxRssKiB() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;  // KiB on Linux
}

long vmHwmKiB() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("VmHWM:")) return std::atol(line.c_str() + 6);
    }
    return -1;
}

struct Measurement {
    double wall = 0;
    double cpu = 0;
};

Measurement measure(exchange::Gateway& gateway, Stage stage, std::uint64_t expectedRows,
                    std::uint64_t expectedGood, const char* label = nullptr) {
    const auto wall0 = std::chrono::steady_clock::now();
    const double cpu0 = cpuSeconds();
    std::optional<std::string> batchId;
    const Counts counts = stage == Stage::Seal ? runSeal(gateway, batchId) : runPartial(gateway, stage);
    const Measurement m{std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count(),
                        cpuSeconds() - cpu0};
    if (batchId && !batchId->empty()) {  // untimed; a repeat must not fill the disk with batches
        fs::remove_all(gateway.outboxDir() / *batchId);
    }
    if (counts.rows != expectedRows || counts.good != expectedGood) {
        throw std::runtime_error("stage " + std::string(nameOf(stage)) + " read " + std::to_string(counts.rows) +
                                 " rows and kept " + std::to_string(counts.good) + ", expected " +
                                 std::to_string(expectedRows) + " rows and " + std::to_string(expectedGood) +
                                 " kept");
    }
    std::printf("%-12s rows=%llu wall=%.3fs cpu=%.3fs records/s=%.0f (per CPU-second %.0f) "
                "peak_rss=%.1fMB vmhwm=%.1fMB\n",
                label ? label : std::string(nameOf(stage)).c_str(), static_cast<unsigned long long>(counts.rows),
                m.wall, m.cpu,
                counts.rows / m.wall, counts.rows / m.cpu, maxRssKiB() / 1024.0, vmHwmKiB() / 1024.0);
    std::fflush(stdout);
    return m;
}

void usage() {
    std::cerr << "usage: bench-seal [--rows N] [--stage csv|validate|pseudonymise|seal|all] [--repeat R] [--keep] "
                 "[--incremental]\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t rows = 100'000;
    std::string stageName = "seal";
    int repeat = 1;
    bool keep = false;
    bool incremental = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if ((arg == "--rows" || arg == "--stage" || arg == "--repeat") && i + 1 < argc) {
            const std::string value = argv[++i];
            if (arg == "--rows") rows = std::stoull(value);
            if (arg == "--stage") stageName = value;
            if (arg == "--repeat") repeat = std::max(1, std::stoi(value));
        } else if (arg == "--keep") {
            keep = true;
        } else if (arg == "--incremental") {
            incremental = true;
        } else {
            usage();
            return arg == "--help" ? 0 : 2;
        }
    }
    std::vector<Stage> stages;
    for (Stage s : {Stage::Csv, Stage::Validate, Stage::Pseudonymise, Stage::Seal}) {
        if (stageName == "all" || stageName == nameOf(s)) stages.push_back(s);
    }
    if (stages.empty() || rows == 0 || (incremental && stageName != "seal")) {
        usage();
        return 2;
    }

    try {
        TempFolder tmp(keep);
        const fs::path csv = tmp.path() / "export.csv";
        generateExport(csv, rows);
        const fs::path configFile = writeInstitutionConfig(tmp.path(), csv, incremental);
        auto gateway = exchange::Gateway::open(configFile);
        std::printf("bench-seal: %llu rows, %.1f MB of windows-1252 CSV, pid %d, peak RSS before the run %.1f MB\n",
                    static_cast<unsigned long long>(rows), fs::file_size(csv) / 1e6, static_cast<int>(::getpid()),
                    maxRssKiB() / 1024.0);
        if (incremental) {
            measure(*gateway, Stage::Seal, rows, rows, "seal-first");       // every trainee new: the cursor fills
            measure(*gateway, Stage::Seal, rows, 0, "seal-unchanged");      // every trainee unchanged: none sealed
            return 0;
        }
        for (Stage stage : stages) {
            std::vector<double> rates;
            for (int r = 0; r < repeat; ++r) {
                const Measurement m = measure(*gateway, stage, rows, rows);
                rates.push_back(rows / m.cpu);
            }
            if (repeat > 1) {
                std::sort(rates.begin(), rates.end());
                std::printf("%-12s best=%.0f median=%.0f records/s per CPU-second over %d runs\n",
                            std::string(nameOf(stage)).c_str(), rates.back(), rates[rates.size() / 2], repeat);
            }
        }
    } catch (const std::exception& e) {
        std::cerr << "bench-seal: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
