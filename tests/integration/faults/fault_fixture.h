#pragma once
// Fault injection on real processes (issue 5): gateways killed and restarted on
// a fixed port, the institutions' outboxes and the Region's inbox read straight
// from state.db, a TCP relay that cuts connections, a small tmpfs that fills up.
// Everything stays on 127.0.0.1, in the test's temporary folder.

#include <Poco/JSON/Array.h>
#include <sys/mount.h>

#include <climits>
#include <cstdint>
#include <random>

#include "../support/exchange_fixture.h"
#include "cutting_relay.h"
#include "gateway_process.h"
#include "gateway_state.h"

namespace passerelle::integration {

inline constexpr const char* kMontpellier = "univ-montpellier";
inline constexpr const char* kToulouse = "univ-toulouse3";

// A batch as the Region's sink shows it: its file(s) and its index line(s).
struct SinkBatch {
    std::string sender;
    int files = 0;
    int indexLines = 0;
    std::uint64_t fileRows = 0;      // data rows of its file, without the header
    std::uint64_t indexedCount = 0;  // record_count on its index line
};

struct SinkView {
    std::map<std::string, SinkBatch> batches;
    std::vector<std::string> strays;  // temporary files, names that are no batch, malformed index lines
};

// Lists problems compactly: 200 batches must not make 200 failure messages.
class Findings {
public:
    explicit Findings(std::string what) : what_(std::move(what)) {}
    void add(const std::string& problem) {
        if (items_.size() < kShown) items_.push_back(problem);
        ++count_;
    }
    bool empty() const { return count_ == 0; }
    std::size_t count() const { return count_; }
    friend std::ostream& operator<<(std::ostream& os, const Findings& f) {
        os << f.what_ << ": " << f.count_ << " problem(s)";
        for (const std::string& i : f.items_) os << "\n  " << i;
        if (f.count_ > f.items_.size()) os << "\n  ... and " << (f.count_ - f.items_.size()) << " more";
        return os;
    }

private:
    static constexpr std::size_t kShown = 20;
    std::string what_;
    std::vector<std::string> items_;
    std::size_t count_ = 0;
};

class FaultInjection : public ExchangeTest {
protected:
    void TearDown() override {
        if (!tmpfs_.empty()) {
            if (HasFailure()) {
                // Its contents vanish with the unmount: keep a copy for inspection (no filler).
                std::error_code ec;
                const fs::path copy = tmpfs_.parent_path() / (tmpfs_.filename().string() + ".from-tmpfs");
                fs::create_directories(copy, ec);
                for (const auto& e : fs::directory_iterator(tmpfs_, ec)) {
                    if (e.path().filename().string().starts_with("filler")) continue;
                    fs::copy(e.path(), copy / e.path().filename(), fs::copy_options::recursive, ec);
                }
            }
            if (::umount2(tmpfs_.c_str(), MNT_DETACH) != 0) {
                ADD_FAILURE() << "cannot unmount the tmpfs on " << tmpfs_ << ": " << std::strerror(errno);
            }
            tmpfs_.clear();
        }
        ExchangeTest::TearDown();
    }

    // A free loopback port below the ephemeral range: while the Region is down,
    // neither a client's connect() nor another test's port-0 listener can take it.
    static int restartablePort() {
        int low = 32768;
        std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low;
        std::mt19937 pick(static_cast<unsigned>(::getpid()) ^
                          static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
        std::uniform_int_distribution<int> port(std::max(1025, low - 12000), low - 1);
        for (int attempt = 0; attempt < 200; ++attempt) {
            const int candidate = port(pick);
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_port = htons(static_cast<std::uint16_t>(candidate));
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
            ::close(fd);
            if (free) return candidate;
        }
        throw std::runtime_error("no free loopback port below " + std::to_string(low));
    }

    // The Region's `passerelle run` on its configured (fixed) port.
    GatewayProcess regionGateway() {
        return GatewayProcess("region", {kPasserelle.string(), "run", "--config", regionConfig().string()},
                              logs(), R"(listening on https://127\.0\.0\.1:\d+)");
    }

    // An institution's `passerelle run`, looking at its outbox every second.
    GatewayProcess institutionGateway(const Institution& inst) {
        return GatewayProcess(
            inst.party, {kPasserelle.string(), "run", "--config", inst.config.string(), "--retry-every", "1"},
            logs(), "institution gateway '" + inst.party + "' running");
    }

    // Delivery tuned for a test: a failed attempt is retried within a second or two.
    // The lease stays long on purpose: the claim of a killed process must be freed
    // because its owner is dead, not because the lease ran out.
    static std::string fastDelivery() {
        return "[delivery]\nworkers = 2\ninitial_backoff_seconds = 1\nmax_backoff_seconds = 2\n"
               "lease_seconds = 300\n\n";
    }

    static void appendToFile(const fs::path& file, const std::string& text) {
        std::ofstream out(file, std::ios::binary | std::ios::app);
        out << text;
        if (!out) throw std::runtime_error("cannot append to " + file.string());
    }

    // A job reading its own export, besides the two the base fixture writes.
    static std::string jobSection(const std::string& job, const std::string& purpose,
                                  const fs::path& exportFile) {
        return "[job." + job + "]\npurpose = " + purpose + "\nrecipient = " + kRegion +
               "\nsource = source.csv\nsource.path = " + exportFile.string() + "\nsource.encoding = utf-8\n" +
               apogeeMapping() + "\n";
    }

    // Mounts a tmpfs of `bytes` on `dir`; the reason when the system does not allow it.
    std::optional<std::string> mountTmpfs(const fs::path& dir, std::uint64_t bytes) {
        fs::create_directories(dir);
        const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
        if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
            return std::string(std::strerror(errno));
        }
        tmpfs_ = dir;
        return std::nullopt;
    }

    // Fills the file system of `dir` until a write fails with ENOSPC, then frees
    // `leaveFree` bytes: small writes (the ledger, state.db) still fit, a batch does not.
    static void fillUp(const fs::path& dir, std::uint64_t leaveFree) {
        const fs::path slack = dir / "filler.slack";
        {
            std::ofstream s(slack, std::ios::binary);
            s << std::string(leaveFree, '\0');
        }
        const int fd = ::open((dir / "filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0) << std::strerror(errno);
        const std::string chunk(64 << 10, '\x5a');
        int error = 0;
        while (error == 0) {
            const ssize_t n = ::write(fd, chunk.data(), chunk.size());
            if (n < 0) error = errno;
        }
        // A partial write may leave a few bytes: fill those one page at a time.
        while (::write(fd, chunk.data(), 4096) > 0) {
        }
        ::close(fd);
        ASSERT_EQ(error, ENOSPC) << "filling " << dir << " stopped on: " << std::strerror(error);
        fs::remove(slack);
    }

    // The Region's sink folder, read batch by batch.
    SinkView readSink() const { return readSinkFolder(regionSink()); }

    // A sink.csv folder, read batch by batch.
    static SinkView readSinkFolder(const fs::path& dir) {
        SinkView view;
        if (!fs::is_directory(dir)) return view;
        static const std::regex batchFile(R"(([A-Za-z0-9.-]+)_([A-Za-z0-9._-]+)\.csv)");
        for (const auto& e : fs::directory_iterator(dir)) {
            const std::string name = e.path().filename().string();
            std::smatch m;
            if (name == "index.csv") continue;
            if (e.is_regular_file() && std::regex_match(name, m, batchFile)) {
                SinkBatch& b = view.batches[m[2].str()];
                b.sender = m[1].str();
                ++b.files;
                const std::size_t rows = lines(readFile(e.path())).size();
                b.fileRows = rows > 0 ? rows - 1 : 0;
            } else {
                view.strays.push_back(name);
            }
        }
        const std::vector<std::string> index = lines(readFile(dir / "index.csv"));
        for (std::size_t i = 0; i < index.size(); ++i) {
            const auto cells = splitCells(index[i], ',');
            if (i == 0) {
                if (index[i] != "batch_id,sender,purpose,record_count,file")
                    view.strays.push_back("index.csv: header line " + index[i]);
                continue;
            }
            if (cells.size() != 5 || cells[4] != cells[1] + "_" + cells[0] + ".csv") {
                view.strays.push_back("index.csv: malformed line " + std::to_string(i + 1));
                continue;
            }
            SinkBatch& b = view.batches[cells[0]];
            ++b.indexLines;
            b.indexedCount = std::stoull("0" + cells[3]);
        }
        return view;
    }

    // Entries of an outbox or inbox folder that are not a known batch's folder
    // (staging folders, half-written batches), and temporary files inside batch folders.
    static std::vector<std::string> strayEntries(const fs::path& dir, const std::set<std::string>& known) {
        std::vector<std::string> strays;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dir, ec)) {
            const std::string name = e.path().filename().string();
            if (!e.is_directory() || !known.contains(name)) {
                strays.push_back(name);
                continue;
            }
            for (const auto& f : fs::directory_iterator(e.path(), ec)) {
                const std::string file = f.path().filename().string();
                if (file.starts_with(".") || file.ends_with(".tmp")) strays.push_back(name + "/" + file);
            }
        }
        return strays;
    }

    // State kept elsewhere for a batch that never entered the outbox (a transfer
    // killed while sealing): carried-pseudonym indexes and quarantine reports.
    static std::vector<std::string> orphanBatchState(const fs::path& stateDir,
                                                     const std::set<std::string>& known) {
        std::vector<std::string> orphans;
        std::error_code ec;
        for (const char* sub : {"carried", "quarantine"}) {
            for (const auto& e : fs::directory_iterator(stateDir / sub, ec)) {
                const std::string name = e.path().filename().string();
                const std::string id = name.substr(0, name.find('.'));
                if (!known.contains(id) || name.ends_with(".tmp"))
                    orphans.push_back(std::string(sub) + "/" + name);
            }
        }
        return orphans;
    }

    // Bytes of all files under `dir`.
    static std::uint64_t folderBytes(const fs::path& dir) {
        std::uint64_t total = 0;
        std::error_code ec;
        for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
            if (e.is_regular_file()) total += e.file_size();
        }
        return total;
    }

    // `passerelle audit verify`: exit 0, and the counts it prints.
    struct AuditResult {
        CommandResult run;
        long batchesChecked = -1;
        long receiptsChecked = -1;
    };
    AuditResult auditVerify(const fs::path& config, const std::string& label) {
        AuditResult a{
            passerelle({"audit", "verify", "--config", config.string()}, label + ".audit-verify", 60s)};
        std::smatch m;
        static const std::regex counts(R"(stored batches checked: (\d+), receipts checked: (\d+))");
        if (std::regex_search(a.run.out, m, counts)) {
            a.batchesChecked = std::stol(m[1].str());
            a.receiptsChecked = std::stol(m[2].str());
        }
        return a;
    }

    // How many ledger entries each batch has, by operation (batch-sealed,
    // batch-receipted, batch-received, batch-handed-to-sink...), from
    // `passerelle audit list --json`: the ledger must tell each batch's story
    // once, whatever was killed.
    using LedgerTally = std::map<std::string, std::map<std::string, int>>;
    LedgerTally ledgerTally(const fs::path& config, const std::string& label) {
        LedgerTally tally;
        const auto r =
            passerelle({"audit", "list", "--config", config.string(), "--json"}, label + ".audit-list", 60s);
        EXPECT_EQ(r.exitCode, 0) << r.err;
        try {
            const auto entries = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Array::Ptr>();
            for (std::size_t i = 0; entries && i < entries->size(); ++i) {
                const auto entry = entries->getObject(static_cast<unsigned>(i));
                const std::string batch = entry->optValue<std::string>("batch_id", "");
                if (!batch.empty()) ++tally[entry->optValue<std::string>("operation", "")][batch];
            }
        } catch (const Poco::Exception& e) {
            ADD_FAILURE() << label << ": audit list --json is not a JSON array (" << e.displayText() << ")";
        }
        return tally;
    }

    // Adds to `findings` each of `batches` whose `operation` entries number outside [least, most].
    static void expectLedgerEntries(Findings& findings, const LedgerTally& tally, const std::string& party,
                                    const std::string& operation, const std::set<std::string>& batches,
                                    int least, int most) {
        const auto it = tally.find(operation);
        for (const std::string& batch : batches) {
            const int n = it == tally.end() || !it->second.contains(batch) ? 0 : it->second.at(batch);
            if (n < least || n > most)
                findings.add(party + " ledger: batch " + batch + " has " + std::to_string(n) + " '" +
                             operation + "' entries (expected " +
                             (most == INT_MAX ? "at least " + std::to_string(least)
                              : least == most ? std::to_string(least)
                                              : std::to_string(least) + " to " + std::to_string(most)) +
                             ")");
        }
    }

    // The Region (one peer: univ-montpellier) and univ-montpellier with an export of `rows`,
    // both with keys; the institution is configured against port 0 until the Region runs.
    Institution configureMontpellier(int rows, int seed, fs::path& exportFile) {
        makePki({kRegion, kMontpellier});
        writeRegionConfig({{kMontpellier}});
        keysInit(regionConfig(), "region");
        exportFile = makeExport(kMontpellier, rows, 0, seed);
        Institution inst = writeInstitutionConfig(kMontpellier, kMontpellier, 0, exportFile);
        keysInit(inst.config, kMontpellier);
        return inst;
    }

    // Starts the Region's gateway and returns the port it listens on (a test
    // failure, and 0, when it does not come up).
    int startRegionForPort(GatewayProcess& region) {
        region.start();
        if (!region.waitReady(15s)) {
            ADD_FAILURE() << region.describe();
            return 0;
        }
        const int port = regionPortFromLog();
        if (port <= 0) ADD_FAILURE() << "no port in the Region's log\n" << region.describe();
        return port;
    }

    // The port the Region's first run printed (region.run1.out), 0 when none.
    int regionPortFromLog() {
        static const std::regex listening(R"(listening on https://127\.0\.0\.1:(\d+))");
        std::smatch m;
        const std::string out = readFile(logs() / "region.run1.out");
        return std::regex_search(out, m, listening) ? std::stoi(m[1].str()) : 0;
    }

    // With no kill in the scenario, each batch's story is told exactly once: one receipt
    // at the sender, one reception and one hand-off at the Region; and both ledgers
    // verify, with every batch and receipt checked.
    void expectEachDeliveredOnce(const Institution& inst, const std::set<std::string>& batches) {
        Findings ledgers("ledger entries per batch");
        expectLedgerEntries(ledgers, ledgerTally(inst.config, inst.party), inst.party, "batch-receipted", batches,
                            1, 1);
        const LedgerTally regionTally = ledgerTally(regionConfig(), "region");
        expectLedgerEntries(ledgers, regionTally, kRegion, "batch-received", batches, 1, 1);
        expectLedgerEntries(ledgers, regionTally, kRegion, "batch-handed-to-sink", batches, 1, 1);
        EXPECT_TRUE(ledgers.empty()) << ledgers;

        const auto regionAudit = auditVerify(regionConfig(), "region");
        EXPECT_EQ(regionAudit.run.exitCode, 0) << regionAudit.run;
        EXPECT_EQ(regionAudit.batchesChecked, static_cast<long>(batches.size())) << regionAudit.run;
        const auto instAudit = auditVerify(inst.config, inst.party);
        EXPECT_EQ(instAudit.run.exitCode, 0) << instAudit.run;
        EXPECT_EQ(instAudit.receiptsChecked, static_cast<long>(batches.size())) << instAudit.run;
    }

    // The scenario of ConnectionCutMidBody and ConnectionClosedMidBody (connection_cut_test.cpp).
    void cutMidBodyThenRetry(CuttingRelay::Cut style);

private:
    fs::path tmpfs_;
};

}  // namespace passerelle::integration
