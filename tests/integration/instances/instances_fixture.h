#pragma once
// Issue 7: a party's gateway run as several instances on one PostgreSQL database.
// Each instance is a `passerelle run` with the party's keys and [storage] database
// but its own state folder (where its batches' files are); the institution and the
// Region never share a database. The instances log in as a least-privilege role of
// the group passerelle_gateway; the schema is made beforehand by the database's owner.
// The outbox, the inbox and the ledger are read with libpq, as an operator would.

#include "../faults/fault_fixture.h"
#include "../support/postgres_server.h"
#include "gateway_login.h"
#include "merkle_recomputation.h"

namespace passerelle::integration {

// One `passerelle run` of a party, with its own configuration and state folder.
struct GatewayInstance {
    std::string label;  // univ-montpellier-2, region-occitanie-b
    fs::path config;
    fs::path stateDir;
    fs::path sink;  // Region: its sink.csv folder
    int port = 0;   // Region: where it listens
    std::unique_ptr<GatewayProcess> gateway;

    // The id its state folder was given at its first start (gateway.cpp): what the
    // rows of its batches carry in files_at.
    std::string folderId() const {
        std::string id;
        std::ifstream(stateDir / ".folder-id") >> id;
        return id;
    }
};

// A party on its database: who owns the database, who the instances log in as.
struct Deployment {
    std::string party;
    std::string ownerConninfo;
    std::string role;  // the instances' login role
    std::string gatewayConninfo;
    std::vector<GatewayInstance> instances;

    std::vector<GatewayProcess*> gateways() {
        std::vector<GatewayProcess*> out;
        for (GatewayInstance& i : instances) out.push_back(i.gateway.get());
        return out;
    }
};

// An outbox or inbox row as the checks need it, read with libpq.
struct QueueRow {
    std::string batchId;
    std::string party;  // outbox: the job; inbox: the sender
    std::string status;
    std::uint64_t recordCount = 0;
    bool holdsReceipt = false;
    std::string attempts;
    std::string error;  // outbox: last_error; inbox: sink_error
    std::string filesFolderId;
    std::string owner;  // the claim's "host:pid", or empty
};

inline std::vector<QueueRow> queueRows(const std::string& conninfo, const std::string& sql) {
    std::vector<QueueRow> out;
    for (const PgRow& r : PostgresForTest::query(conninfo, sql)) {
        auto at = [&r](std::size_t i) { return r.at(i).value_or(""); };
        out.push_back(
            {at(0), at(1), at(2), std::stoull("0" + at(3)), at(4) == "t", at(5), at(6), at(7), at(8)});
    }
    return out;
}

inline std::vector<QueueRow> outboxRows(const std::string& conninfo) {
    return queueRows(conninfo,
                     "SELECT batch_id, job, status, record_count, receipt <> '' AND receipt_signature <> '',"
                     " attempts, last_error, files_at, claim_owner FROM outbox ORDER BY batch_id");
}

inline std::vector<QueueRow> inboxRows(const std::string& conninfo) {
    return queueRows(
        conninfo,
        "SELECT batch_id, sender, status, record_count, receipt <> '' AND receipt_signature <> '',"
        " sink_attempts, sink_error, files_at, sink_owner FROM inbox ORDER BY batch_id");
}

// The first line `key = ...` of an INI text given another value.
inline std::string withSetting(const std::string& ini, const std::string& key, const std::string& value) {
    const std::string prefix = key + " = ";
    std::size_t at = ini.starts_with(prefix) ? 0 : ini.find("\n" + prefix);
    if (at == std::string::npos) throw std::runtime_error("no '" + key + "' line in the configuration");
    if (at != 0) ++at;
    const std::size_t end = ini.find('\n', at);
    return ini.substr(0, at) + prefix + value + (end == std::string::npos ? "" : ini.substr(end));
}

class SharedDatabaseTest : public FaultInjection {
protected:
    void SetUp() override {
        FaultInjection::SetUp();
        if (HasFatalFailure()) return;
        const auto server = PostgresForTest::serverConninfo();
        if (!server) {
            if (PostgresForTest::required()) {
                FAIL() << "PASSERELLE_POSTGRES_REQUIRED=1 but PASSERELLE_TEST_POSTGRES is not set";
            }
            GTEST_SKIP() << "no test PostgreSQL (PASSERELLE_TEST_POSTGRES unset); run ./scripts/test, "
                            "which starts one";
        }
        ASSERT_GE(sodium_init(), 0);
        postgres_ = std::make_unique<PostgresForTest>(*server);
    }

    // The test body's processes are gone by now (their destructors kill them); the
    // databases go first (WITH FORCE: no session is left), then the login roles.
    void TearDown() override {
        postgres_.reset();
        logins_.clear();
        FaultInjection::TearDown();
    }

    PostgresForTest& postgres() { return *postgres_; }

    // A fresh database for `party`, and a login role of the gateway group for its instances.
    Deployment newDeployment(const std::string& party, const std::string& rolePrefix) {
        Deployment d;
        d.party = party;
        d.ownerConninfo = postgres().freshDatabase();
        logins_.push_back(std::make_unique<GatewayLogin>(postgres().server(), rolePrefix));
        d.role = logins_.back()->name();
        d.gatewayConninfo = PostgresForTest::withKey(d.ownerConninfo, "user", d.role);
        return d;
    }

    static std::string storageSection(const Deployment& d) {
        return "\n[storage]\ndatabase = postgresql:" + d.gatewayConninfo + "\n";
    }

    // The Region's instances (labels a, b, ...): one keys folder, each its own state
    // folder, sink folder and fixed port (it is killed and must come back on it).
    void deployRegion(Deployment& region, const std::vector<std::string>& labels,
                      const std::string& peerPurposes) {
        writeRegionConfig({{kMontpellier, peerPurposes}});
        keysInit(regionConfig(), "region");
        const std::string base = readFile(regionConfig());
        std::set<int> ports;
        for (const std::string& label : labels) {
            GatewayInstance i;
            i.label = std::string(kRegion) + "-" + label;
            i.stateDir = root() / i.label / "state";
            i.sink = root() / i.label / "sink";
            do {
                i.port = restartablePort();
            } while (!ports.insert(i.port).second);
            i.config = root() / (i.label + ".ini");
            std::string ini = withSetting(base, "listen", "127.0.0.1:" + std::to_string(i.port));
            ini = withSetting(ini, "state_dir", i.stateDir.string());
            ini = withSetting(ini, "settings.directory", i.sink.string());
            // The load sends one univ-montpellier's batches, all its instances together, at
            // well above the default per-CN rate (600 a minute), to one Region instance
            // while the other is down: rate limiting is tested elsewhere (http/), and a 429
            // here would count as a delivery failing with its Region instance up.
            writeFile(i.config, ini + storageSection(region) + "\n[http]\nrate_per_minute = 100000\nburst = 10000\n");
            i.gateway = std::make_unique<GatewayProcess>(
                i.label, std::vector<std::string>{kPasserelle.string(), "run", "--config", i.config.string()},
                logs(), R"(listening on https://127\.0\.0\.1:\d+)");
            region.instances.push_back(std::move(i));
        }
    }

    // The institution's instances: instance i sends to the Region instance routes[i].
    // `extra` (jobs, delivery settings) is the same for all.
    void deployInstitution(Deployment& inst, const Deployment& region, const std::vector<std::size_t>& routes,
                           const fs::path& anExport, const std::string& extra) {
        const Institution base = writeInstitutionConfig(kMontpellier, kMontpellier, 0, anExport);
        appendToFile(base.config, extra);
        keysInit(base.config, kMontpellier);
        const std::string text = readFile(base.config);
        for (std::size_t n = 0; n < routes.size(); ++n) {
            GatewayInstance i;
            i.label = std::string(kMontpellier) + "-" + std::to_string(n + 1);
            i.stateDir = root() / i.label / "state";
            i.config = root() / (i.label + ".ini");
            std::string ini = withSetting(text, "state_dir", i.stateDir.string());
            ini = withSetting(ini, "url",
                              "https://localhost:" + std::to_string(region.instances.at(routes[n]).port));
            writeFile(i.config, ini + storageSection(inst));
            i.gateway = std::make_unique<GatewayProcess>(
                i.label,
                std::vector<std::string>{kPasserelle.string(), "run", "--config", i.config.string(),
                                         "--retry-every", "1"},
                logs(), "institution gateway '" + std::string(kMontpellier) + "' running");
            inst.instances.push_back(std::move(i));
        }
    }

    // The party's schema, made by the database's owner (the instances' role may not
    // create tables), with the grants to the gateway group.
    void makeSchema(const Deployment& d) {
        const auto r = passerelle({"migrate-store", "--to", "postgresql:" + d.ownerConninfo},
                                  d.party + ".migrate-store", 120s);
        ASSERT_EQ(r.exitCode, 0) << r;
        EXPECT_NE(r.out.find(std::string("grants to the role ") + kGatewayGroup + " applied"),
                  std::string::npos)
            << r;
    }

    // `passerelle audit verify` with the root it reports ("ledger: N entries, root HEX").
    struct AuditWithRoot {
        AuditResult audit;
        long entries = -1;
        std::string root;
    };
    AuditWithRoot auditWithRoot(const GatewayInstance& i) {
        AuditWithRoot a{auditVerify(i.config, i.label), -1, {}};
        static const std::regex ledger(R"(ledger: (\d+) entries, root ([0-9a-f]*))");
        std::smatch m;
        if (std::regex_search(a.audit.run.out, m, ledger)) {
            a.entries = std::stol(m[1].str());
            a.root = m[2].str();
        }
        return a;
    }

private:
    std::unique_ptr<PostgresForTest> postgres_;
    std::vector<std::unique_ptr<GatewayLogin>> logins_;
};

}  // namespace passerelle::integration
