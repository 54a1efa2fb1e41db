// bench-store: durable ledger appends per second and delivered batches per second, on
// SQLite or on one PostgreSQL database shared by N gateway instances (issue 7; the
// figures and how to read them: docs/benchmarks.md).
//
//   bench-store --database sqlite:FILE|postgresql:CONNINFO [--instances N] [--threads T]
//               [--appends M] [--deliver B] [--same-host] [--keep]
//
// An instance is a child process with its own db::Database (its own SQLite connection,
// or its own pool of T+1 PostgreSQL sessions), as N `passerelle run` have; T threads
// work in each. The instances open their database first, then start together.
//
//   --appends M  M synthetic ledger entries (field names and digests, no personal data),
//                M/N per instance, each through Ledger::append: one durable transaction.
//   --deliver B  B batches are queued with StateStore::addToOutbox (not timed), then
//                drained by N x T workers. Per batch a worker does the database work of
//                BatchDelivery::deliver and nothing else: claimDue (one batch), the
//                recipient's signed checkpoint stored (storePeerCheckpoint), the
//                'batch-receipted' ledger entry, recordReceipt. No network, no payload,
//                no receipt signature check: the region's answer is prepared beforehand.
//   --same-host  Claims are owned by "<this host>:<pid>", as instances on one host are;
//                by default each instance claims as if on a host of its own.
//
// It writes only to a database of its own, because the ledger is append-only: a new
// SQLite FILE (it must not exist), or a new database made on CONNINFO's server (the
// role needs CREATEDB); both are removed at the end unless --keep. Then it checks:
// Ledger::verify intact with M + B entries, an own checkpoint and B counterpart
// checkpoints whose signatures hold, every batch receipted and logged exactly once.
// Exit status: 0 when all holds, 1 when not (or on an error), 2 for bad arguments.
// Nothing here asserts a speed.

#include <libpq-fe.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/encoding.h"
#include "database/database.h"
#include "ledger/ledger.h"
#include "privacy/party_keys.h"
#include "privacy/sodium_init.h"
#include "store/state_store.h"

namespace {

namespace fs = std::filesystem;
using namespace passerelle;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kInstitution = "bench-institution";
constexpr const char* kRegion = "bench-region";
constexpr const char* kPurpose = "bench-purpose";

struct UsageError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

struct Options {
    db::Location database;
    std::uint64_t instances = 1, threads = 1, appends = 0, deliveries = 0;
    bool sameHost = false, keep = false;
};

constexpr const char* kUsage =
    "usage: bench-store --database sqlite:FILE|postgresql:CONNINFO [--instances N] [--threads T]\n"
    "                   [--appends M] [--deliver B] [--same-host] [--keep]\n"
    "  --appends M   M ledger appends, M/N per instance (N child processes), T threads each\n"
    "  --deliver B   B outbox batches drained by N x T workers: claim, counterpart checkpoint,\n"
    "                ledger entry and receipt per batch (no network)\n"
    "  sqlite:FILE must not exist; on postgresql:CONNINFO a new database is created (CREATEDB).\n"
    "  Both are removed at the end unless --keep. See docs/benchmarks.md.\n";

std::uint64_t wholeNumber(std::string_view option, std::string_view text, std::uint64_t max) {
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n > max) {
        throw UsageError(std::string(option) + " takes a whole number from 0 to " + std::to_string(max) +
                         ", not '" + std::string(text) + "'");
    }
    return n;
}

Options parseOptions(int argc, char** argv) {
    Options o;
    bool haveDatabase = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--same-host" || arg == "--keep") {
            (arg == "--keep" ? o.keep : o.sameHost) = true;
            continue;
        }
        if (arg != "--database" && arg != "--instances" && arg != "--threads" && arg != "--appends" &&
            arg != "--deliver") {
            throw UsageError("unknown argument '" + std::string(arg) + "'");
        }
        if (i + 1 >= argc) throw UsageError(std::string(arg) + " needs a value");
        const std::string_view value = argv[++i];
        if (arg == "--database") {
            try {
                o.database = db::Location::parse(value);  // never echoed: it may hold a password
            } catch (const std::invalid_argument& e) {
                throw UsageError(std::string("--database: ") + e.what());
            }
            haveDatabase = true;
        } else if (arg == "--instances") {
            o.instances = wholeNumber(arg, value, 64);
        } else if (arg == "--threads") {
            o.threads = wholeNumber(arg, value, 64);
        } else if (arg == "--appends") {
            o.appends = wholeNumber(arg, value, 100'000'000);
        } else {
            o.deliveries = wholeNumber(arg, value, 10'000'000);
        }
    }
    if (!haveDatabase) throw UsageError("--database is required");
    if (o.instances == 0 || o.threads == 0) throw UsageError("--instances and --threads must be at least 1");
    if (o.appends == 0 && o.deliveries == 0) throw UsageError("give --appends M, --deliver B or both");
    return o;
}

// --- the database of the run, made for it and removed after it

// A conninfo value, quoted only when it must be: Poco's PostgreSQL connector reads the
// string itself and splits it at spaces.
std::string quotedConninfoValue(std::string_view value) {
    if (!value.empty() && value.find_first_of(" '\\\t") == std::string_view::npos) return std::string(value);
    std::string out = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

class PgConnection {
public:
    explicit PgConnection(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
        if (PQstatus(conn_) != CONNECTION_OK) {
            const std::string why = db::maskPassword(PQerrorMessage(conn_));
            PQfinish(conn_);
            throw std::runtime_error("cannot connect to PostgreSQL: " + why);
        }
    }
    ~PgConnection() { PQfinish(conn_); }
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    void execute(const std::string& sql) {
        std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn_, sql.c_str()), &PQclear);
        if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
            throw std::runtime_error(sql + ": " + db::maskPassword(PQresultErrorMessage(result.get())));
        }
    }

private:
    PGconn* conn_;
};

class BenchDatabase {
public:
    BenchDatabase(const db::Location& given, bool keep) : given_(given), keep_(keep) {
        if (given.engine == db::Engine::SQLite) {
            if (fs::exists(given.target)) {
                throw UsageError("--database: " + given.target +
                                 " exists; bench-store writes a new file (the ledger is append-only): "
                                 "remove it or name another");
            }
            location_ = given;
            return;
        }
        name_ = "passerelle_bench_";
        for (int i = 0; i < 10; ++i) name_ += "abcdefghijklmnopqrstuvwxyz0123456789"[randombytes_uniform(36)];
        PgConnection(given.target).execute("CREATE DATABASE " + name_);
        location_ = {db::Engine::PostgreSQL, withDatabase(given.target, name_)};
    }
    ~BenchDatabase() {
        if (keep_) {
            std::printf("kept       %s\n", location_.display().c_str());
            return;
        }
        try {
            if (location_.engine == db::Engine::SQLite) {
                for (const char* suffix : {"", "-wal", "-shm", "-journal"})
                    fs::remove(location_.target + suffix);
            } else {
                PgConnection(given_.target).execute("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
            }
        } catch (const std::exception& e) {
            std::cerr << "bench-store: could not remove " << location_.display() << ": " << e.what() << "\n";
        }
    }
    BenchDatabase(const BenchDatabase&) = delete;
    BenchDatabase& operator=(const BenchDatabase&) = delete;
    const db::Location& location() const { return location_; }

private:
    // The conninfo (keywords or URI) with its dbname replaced, as keyword='value' pairs.
    static std::string withDatabase(const std::string& conninfo, const std::string& dbname) {
        char* error = nullptr;
        PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
        if (options == nullptr) {
            PQfreemem(error);
            throw UsageError("--database: not a libpq connection string");
        }
        std::string out;
        for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
            if (o->val == nullptr || std::string_view(o->keyword) == "dbname") continue;
            out += std::string(o->keyword) + "=" + quotedConninfoValue(o->val) + " ";
        }
        PQconninfoFree(options);
        return out + "dbname=" + dbname;
    }

    db::Location given_, location_;
    std::string name_;
    bool keep_;
};

// --- the parties' keys and the region's prepared answers

struct SigningKey {
    std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> pk{};
    std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> sk{};
    SigningKey() { crypto_sign_keypair(pk.data(), sk.data()); }
    std::string id() const { return privacy::keyIdOf(pk); }
    ledger::Signature sign(std::span<const std::uint8_t> bytes) const {
        ledger::Signature s{};
        crypto_sign_detached(s.data(), nullptr, bytes.data(), bytes.size(), sk.data());
        return s;
    }
};

std::string batchId(std::uint64_t n) {
    char id[32];
    std::snprintf(id, sizeof id, "bench-%07llu", static_cast<unsigned long long>(n));
    return id;
}

std::string digestOf(std::string_view text) {
    std::array<std::uint8_t, 32> h{};
    crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                       nullptr, 0);
    return toHex(h);
}

// What the region's receipt for batch n carries: its ledger checkpoint, signed by its key.
ledger::Checkpoint regionCheckpoint(const SigningKey& region, std::uint64_t n) {
    ledger::Checkpoint c;
    c.origin = kRegion;
    c.treeSize = n;
    crypto_generichash(c.rootHash.data(), c.rootHash.size(), reinterpret_cast<const unsigned char*>(&n),
                       sizeof n, nullptr, 0);
    c.time = formatUtc(std::chrono::system_clock::now());
    c.keyId = region.id();
    const std::string bytes = c.signedBytes();
    c.signature = region.sign(asBytes(bytes));
    return c;
}

// --- instances: child processes started together

struct InstanceReport {
    std::uint64_t done = 0;
    std::uint64_t idleClaims = 0;  // claims that found nothing free while batches were left
    std::int64_t endNs = 0;        // steady clock (CLOCK_MONOTONIC: one for every process)
    long maxRssKiB = 0;
    std::vector<float> latencyUs;
};

void writeReport(const fs::path& file, const InstanceReport& r) {
    std::ofstream out(file, std::ios::binary);
    const std::uint64_t n = r.latencyUs.size();
    out.write(reinterpret_cast<const char*>(&r.done), sizeof r.done);
    out.write(reinterpret_cast<const char*>(&r.idleClaims), sizeof r.idleClaims);
    out.write(reinterpret_cast<const char*>(&r.endNs), sizeof r.endNs);
    out.write(reinterpret_cast<const char*>(&r.maxRssKiB), sizeof r.maxRssKiB);
    out.write(reinterpret_cast<const char*>(&n), sizeof n);
    out.write(reinterpret_cast<const char*>(r.latencyUs.data()),
              static_cast<std::streamsize>(n * sizeof(float)));
    if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
}

InstanceReport readReport(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    InstanceReport r;
    std::uint64_t n = 0;
    in.read(reinterpret_cast<char*>(&r.done), sizeof r.done);
    in.read(reinterpret_cast<char*>(&r.idleClaims), sizeof r.idleClaims);
    in.read(reinterpret_cast<char*>(&r.endNs), sizeof r.endNs);
    in.read(reinterpret_cast<char*>(&r.maxRssKiB), sizeof r.maxRssKiB);
    in.read(reinterpret_cast<char*>(&n), sizeof n);
    r.latencyUs.resize(n);
    in.read(reinterpret_cast<char*>(r.latencyUs.data()), static_cast<std::streamsize>(n * sizeof(float)));
    if (!in) throw std::runtime_error("cannot read the report " + file.string());
    return r;
}

std::int64_t steadyNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
        .count();
}

long maxRssKiB() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;  // KiB on Linux
}

// One instance's work: open the database, call started() (which returns when every
// instance is ready), work, report. Runs in a child process.
using InstanceWork =
    std::function<InstanceReport(std::uint64_t instance, const std::function<void()>& started)>;

struct Phase {
    std::vector<InstanceReport> reports;
    double seconds = 0;  // from the start signal to the last instance done
};

// Forks `count` instances, starts them together once all have opened their database,
// waits for them. The parent opens no database before its last fork: nothing of
// Poco's or libpq's is copied half-held into a child.
Phase runInstances(std::uint64_t count, const fs::path& reports, const InstanceWork& work) {
    int ready[2], go[2];
    if (::pipe(ready) != 0 || ::pipe(go) != 0) throw std::runtime_error("pipe failed");
    std::fflush(stdout);
    std::vector<pid_t> children;
    for (std::uint64_t i = 0; i < count; ++i) {
        const pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid > 0) {
            children.push_back(pid);
            continue;
        }
        ::close(ready[0]);
        ::close(go[1]);
        int status = 0;
        try {
            const auto started = [&] {
                const char byte = 'r';
                if (::write(ready[1], &byte, 1) != 1) throw std::runtime_error("cannot signal readiness");
                ::close(ready[1]);
                char gate = 0;
                if (::read(go[0], &gate, 1) != 1)
                    throw std::runtime_error("stopped: another instance failed to start");
            };
            writeReport(reports / ("instance-" + std::to_string(i)), work(i, started));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "bench-store: instance %llu: %s\n", static_cast<unsigned long long>(i),
                         e.what());
            status = 1;
        }
        std::fflush(stdout);
        std::fflush(stderr);
        ::_exit(status);
    }
    ::close(ready[1]);
    ::close(go[0]);
    std::uint64_t readyCount = 0;
    for (char byte = 0; readyCount < count && ::read(ready[0], &byte, 1) == 1;) ++readyCount;
    const std::int64_t startNs = steadyNs();
    if (readyCount == count) {
        const std::string bytes(count, 'g');
        if (::write(go[1], bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
            std::cerr << "bench-store: cannot start the instances\n";
        }
    }
    ::close(go[1]);
    ::close(ready[0]);
    int failed = 0;
    for (pid_t pid : children) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
    }
    if (failed > 0) throw std::runtime_error(std::to_string(failed) + " instance(s) failed (see above)");
    Phase phase;
    std::int64_t endNs = startNs;
    for (std::uint64_t i = 0; i < count; ++i) {
        phase.reports.push_back(readReport(reports / ("instance-" + std::to_string(i))));
        endNs = std::max(endNs, phase.reports.back().endNs);
    }
    phase.seconds = static_cast<double>(endNs - startNs) / 1e9;
    return phase;
}

// Runs fn(thread) on `threads` threads; the first exception is rethrown after all end.
void onThreads(std::uint64_t threads, const std::function<void(std::uint64_t)>& fn) {
    std::vector<std::thread> pool;
    std::vector<std::exception_ptr> errors(threads);
    for (std::uint64_t t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            try {
                fn(t);
            } catch (...) {
                errors[t] = std::current_exception();
            }
        });
    }
    for (auto& thread : pool) thread.join();
    for (const auto& e : errors) {
        if (e) std::rethrow_exception(e);
    }
}

// The share of `total` that part `i` of `parts` takes (the first ones take the remainder).
std::uint64_t shareOf(std::uint64_t total, std::uint64_t parts, std::uint64_t i) {
    return total / parts + (i < total % parts ? 1 : 0);
}

std::shared_ptr<db::Database> openDatabase(const Options& o) {
    return std::make_shared<db::Database>(o.database, o.threads + 1);
}

void report(const char* phase, const Options& o, const char* unit, const Phase& p) {
    std::vector<float> all;
    std::uint64_t done = 0, idle = 0;
    long rss = 0;
    for (const InstanceReport& r : p.reports) {
        all.insert(all.end(), r.latencyUs.begin(), r.latencyUs.end());
        done += r.done;
        idle += r.idleClaims;
        rss = std::max(rss, r.maxRssKiB);
    }
    std::sort(all.begin(), all.end());
    auto percentile = [&](double q) {
        return all.empty() ? 0.0
                           : all[std::min(all.size() - 1, static_cast<std::size_t>(q * all.size()))] / 1000.0;
    };
    std::printf(
        "%-10s engine=%s instances=%llu threads=%llu count=%llu wall=%.3fs %s/s=%.0f p50=%.2fms "
        "p99=%.2fms peak_rss=%.1fMB",
        phase, o.database.engine == db::Engine::SQLite ? "sqlite" : "postgresql",
        static_cast<unsigned long long>(o.instances), static_cast<unsigned long long>(o.threads),
        static_cast<unsigned long long>(done), p.seconds, unit, done / p.seconds, percentile(0.50),
        percentile(0.99), rss / 1024.0);
    if (std::string_view(phase) == "deliver")
        std::printf(" idle_claims=%llu", static_cast<unsigned long long>(idle));
    std::printf("\n");
    std::fflush(stdout);
}

// --- the phases

InstanceReport appendEntries(const Options& o, std::uint64_t instance, const std::function<void()>& started) {
    auto database = openDatabase(o);
    ledger::Ledger ledger(database);
    const std::uint64_t mine = shareOf(o.appends, o.instances, instance);
    started();
    std::vector<std::vector<float>> latencies(o.threads);
    onThreads(o.threads, [&](std::uint64_t t) {
        const std::uint64_t count = shareOf(mine, o.threads, t);
        latencies[t].reserve(count);
        ledger::LedgerEntry entry;
        entry.actor = "bench-instance-" + std::to_string(instance);
        entry.operation = "bench-append";
        entry.purpose = kPurpose;
        entry.legalBasis = "GDPR art. 6(1)(e)";
        entry.counterpart = kRegion;
        entry.fields = {"birth_name", "first_names", "email", "entry_date", "exit_date"};  // names only
        entry.outcome = "sealed";
        for (std::uint64_t k = 0; k < count; ++k) {
            entry.batchId =
                "append-" + std::to_string(instance) + "-" + std::to_string(t) + "-" + std::to_string(k);
            entry.payloadDigest = digestOf(entry.batchId);
            entry.recordCount = k;
            const auto t0 = SteadyClock::now();
            ledger.append(entry);
            latencies[t].push_back(std::chrono::duration<float, std::micro>(SteadyClock::now() - t0).count());
        }
    });
    InstanceReport r;
    r.endNs = steadyNs();
    for (auto& l : latencies) r.latencyUs.insert(r.latencyUs.end(), l.begin(), l.end());
    r.done = r.latencyUs.size();
    r.maxRssKiB = maxRssKiB();
    return r;
}

InstanceReport deliverBatches(const Options& o, const std::vector<ledger::Checkpoint>& answers,
                              std::uint64_t instance, const std::function<void()>& started) {
    auto database = openDatabase(o);
    store::StateStore store(database);
    ledger::Ledger ledger(database);
    // Another host's owner is skipped by the claim's SQL while its lease runs; this host's
    // owners are read and then skipped (store/state_store.cpp).
    const std::string owner =
        o.sameHost ? store::processOwner()
                   : "bench-host-" + std::to_string(instance) + ":" + std::to_string(::getpid());
    started();
    std::vector<std::vector<float>> latencies(o.threads);
    std::vector<std::uint64_t> idle(o.threads, 0);
    onThreads(o.threads, [&](std::uint64_t t) {
        for (;;) {
            const auto t0 = SteadyClock::now();
            const store::Claim claim{owner, unixSeconds(std::chrono::system_clock::now()), 300};
            const auto claimed = store.outbox().claimDue(claim, 1, kRegion);
            if (claimed.empty()) {
                if (store.outbox().pendingFor(kRegion).empty()) return;  // every batch is receipted
                ++idle[t];  // the rest are being delivered by others; look again shortly
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
                continue;
            }
            const store::OutboxBatch& batch = claimed.front();
            const ledger::Checkpoint& answer = answers.at(std::stoull(batch.batchId.substr(6)) - 1);
            ledger.storePeerCheckpoint(answer);
            ledger::LedgerEntry entry;
            entry.actor = "gateway";
            entry.operation = "batch-receipted";
            entry.purpose = batch.purpose;
            entry.legalBasis = "GDPR art. 6(1)(e)";
            entry.counterpart = batch.recipient;
            entry.recordCount = batch.recordCount;
            entry.batchId = batch.batchId;
            entry.payloadDigest = batch.payloadDigest;
            entry.outcome = "receipted";
            entry.reason = "receiver ledger entry " + std::to_string(answer.treeSize) +
                           ", receiver checkpoint " + ledger::describe(answer);
            ledger.append(entry);
            const std::string receipt = R"({"batch_id":")" + batch.batchId + R"(","sender":")" +
                                        kInstitution + R"(","receiver":")" + kRegion +
                                        R"(","payload_digest":")" + batch.payloadDigest +
                                        R"(","record_count":)" + std::to_string(batch.recordCount) + "}";
            store.outbox().recordReceipt(batch.batchId, receipt, toBase64(answer.signature),
                                formatUtc(std::chrono::system_clock::now()));
            latencies[t].push_back(std::chrono::duration<float, std::micro>(SteadyClock::now() - t0).count());
        }
    });
    InstanceReport r;
    r.endNs = steadyNs();
    for (std::uint64_t t = 0; t < o.threads; ++t) {
        r.latencyUs.insert(r.latencyUs.end(), latencies[t].begin(), latencies[t].end());
        r.idleClaims += idle[t];
    }
    r.done = r.latencyUs.size();
    r.maxRssKiB = maxRssKiB();
    return r;
}

// Creates the tables and queues the B batches, in one child process (not timed).
InstanceReport prepare(const Options& o, const std::function<void()>& started) {
    auto database = openDatabase(o);
    store::StateStore store(database);
    ledger::Ledger ledger(database);
    started();
    const std::string createdAt = formatUtc(std::chrono::system_clock::now());
    for (std::uint64_t n = 1; n <= o.deliveries; ++n) {
        store::OutboxBatch batch;
        batch.batchId = batchId(n);
        batch.recipient = kRegion;
        batch.purpose = kPurpose;
        batch.job = "bench";
        batch.recordCount = 1000;
        batch.payloadDigest = digestOf(batch.batchId);
        batch.createdAt = createdAt;
        store.outbox().addToOutbox(batch);
    }
    return {};
}

// After the phases, in the parent: the ledger and the outbox are what they must be.
bool verify(const Options& o, const SigningKey& institution, const SigningKey& region) {
    auto database = openDatabase(o);
    store::StateStore store(database);
    ledger::Ledger ledger(database);
    ledger.setCheckpointSigner(kInstitution, institution.id(),
                               [&](std::span<const std::uint8_t> bytes) { return institution.sign(bytes); });
    ledger.checkpoint();
    const auto keys = [&](const std::string& party, const std::string& keyId,
                          const std::string& /*signedAt*/) -> std::optional<ledger::SignKey> {
        if (party == kInstitution && keyId == institution.id()) return institution.pk;
        if (party == kRegion && keyId == region.id()) return region.pk;
        return std::nullopt;
    };
    const auto v = ledger.verify(keys);
    std::vector<std::string> problems;
    if (!v.intact) problems.push_back("ledger not intact: " + v.problem);
    const std::uint64_t expected = o.appends + o.deliveries;
    if (v.entries != expected || ledger.size() != expected) {
        problems.push_back("ledger holds " + std::to_string(v.entries) + " entries, expected " +
                           std::to_string(expected));
    }
    if (v.checkpoints != 1) problems.push_back("own checkpoints verified: " + std::to_string(v.checkpoints));
    if (v.peerCheckpoints != o.deliveries) {
        problems.push_back("counterpart checkpoints verified: " + std::to_string(v.peerCheckpoints) +
                           ", expected " + std::to_string(o.deliveries));
    }
    ledger::EntryFilter appended;
    appended.operation = "bench-append";
    if (const auto n = ledger.query(appended).size(); n != o.appends) {
        problems.push_back(std::to_string(n) + " appended entries, expected " + std::to_string(o.appends));
    }
    ledger::EntryFilter receipted;
    receipted.operation = "batch-receipted";
    std::set<std::string> logged;
    std::uint64_t loggedEntries = 0;
    for (const auto& e : ledger.query(receipted)) {
        logged.insert(e.batchId);
        ++loggedEntries;
    }
    const auto done = store.outbox().outboxWithStatus(store::OutboxStatus::Receipted).size();
    if (done != o.deliveries || logged.size() != o.deliveries || loggedEntries != o.deliveries) {
        problems.push_back(std::to_string(done) + " batches receipted and " + std::to_string(loggedEntries) +
                           " receipt entries for " + std::to_string(logged.size()) + " batches, expected " +
                           std::to_string(o.deliveries) + " of each (a batch delivered twice?)");
    }
    std::printf(
        "verify     %s: %llu entries, %llu own and %llu counterpart checkpoints verified, "
        "%zu batches receipted and logged once each, root %s\n",
        problems.empty() ? "intact" : "FAILED", static_cast<unsigned long long>(v.entries),
        static_cast<unsigned long long>(v.checkpoints), static_cast<unsigned long long>(v.peerCheckpoints),
        done, v.rootHash.substr(0, 16).c_str());
    for (const std::string& p : problems) std::printf("  %s\n", p.c_str());
    return problems.empty();
}

class TempFolder {
public:
    TempFolder() {
        std::string pattern = (fs::temp_directory_path() / "bench-store-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("cannot create a temporary folder");
        path_ = pattern;
    }
    ~TempFolder() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempFolder(const TempFolder&) = delete;
    TempFolder& operator=(const TempFolder&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") {
            std::cout << kUsage;
            return 0;
        }
    }
    Options o;
    try {
        o = parseOptions(argc, argv);
    } catch (const UsageError& e) {
        std::cerr << "bench-store: " << e.what() << "\n" << kUsage;
        return 2;
    }
    try {
        privacy::ensureSodium();
        const SigningKey institution, region;
        std::vector<ledger::Checkpoint> answers;  // signed here, as the region would: not timed
        for (std::uint64_t n = 1; n <= o.deliveries; ++n) answers.push_back(regionCheckpoint(region, n));
        const TempFolder reports;
        const BenchDatabase database(o.database, o.keep);
        o.database = database.location();
        std::printf(
            "bench-store: %s (%s, removed at the end%s), %llu instance(s) x %llu thread(s), "
            "claims %s\n",
            o.database.display().c_str(),
            o.database.engine == db::Engine::SQLite ? "a new file" : "a new database",
            o.keep ? " unless --keep" : "", static_cast<unsigned long long>(o.instances),
            static_cast<unsigned long long>(o.threads),
            o.sameHost ? "as instances on one host" : "as instances on hosts of their own");
        runInstances(1, reports.path(),
                     [&](std::uint64_t, const auto& started) { return prepare(o, started); });
        if (o.appends > 0) {
            const Phase p = runInstances(
                o.instances, reports.path(),
                [&](std::uint64_t i, const auto& started) { return appendEntries(o, i, started); });
            report("appends", o, "appends", p);
        }
        if (o.deliveries > 0) {
            std::printf(
                "deliver    per batch: claimDue(1) + storePeerCheckpoint + Ledger::append('batch-receipted')"
                " + recordReceipt; no network, no payload\n");
            const Phase p = runInstances(
                o.instances, reports.path(),
                [&](std::uint64_t i, const auto& started) { return deliverBatches(o, answers, i, started); });
            report("deliver", o, "batches", p);
        }
        return verify(o, institution, region) ? 0 : 1;
    } catch (const UsageError& e) {
        std::cerr << "bench-store: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "bench-store: " << db::maskPassword(e.what()) << "\n";
        return 1;
    }
}
