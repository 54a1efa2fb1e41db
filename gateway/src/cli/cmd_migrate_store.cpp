// passerelle migrate-store: create the PostgreSQL schema, or move an installation's
// state from its SQLite files into PostgreSQL (docs/migrate-store.md).

#include <unistd.h>

#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "cli/commands.h"
#include "common/errors.h"
#include "config/gateway_config.h"
#include "migration/state_move.h"
#include "migration/store_move.h"
#include "party/gateway.h"


namespace passerelle::cli {
namespace {

// Tables this big get a progress line on a terminal.
constexpr std::uint64_t kProgressFromRows = 20'000;

// The conninfo of `--to`, with the password of `--password-file` (its first line) added.
db::Location targetLocation(const std::string& text, const std::optional<std::string>& passwordFile) {
    db::Location location;
    try {
        location = db::Location::parse(text);
    } catch (const std::invalid_argument& e) {
        throw UsageError("--to " + std::string(e.what()));
    }
    if (location.engine != db::Engine::PostgreSQL) {
        throw UsageError("--to must be postgresql:CONNINFO: migrate-store moves a state to PostgreSQL");
    }
    if (!passwordFile) return location;
    try {
        return db::withPasswordFrom(location, *passwordFile);
    } catch (const std::invalid_argument& e) {
        throw Error("--password-file " + std::string(e.what()));
    }
}

std::string grantsLine(db::Database& target) {
    std::ostringstream line;
    if (migration::gatewayRoleExists(target)) {
        line << "grants to the role " << db::kGatewayRole << " applied";
    } else {
        line << "no role " << db::kGatewayRole
             << " in this server: no grants (create it and run migrate-store --to again for least privilege)";
    }
    return line.str();
}

int createSchema(const db::Location& location) {
    db::Database target(location, 1);
    const auto versions = migration::prepareSchema(target);
    std::cout << "schema of " << target.name() << " is current:";
    for (std::size_t i = 0; i < versions.size(); ++i) {
        std::cout << (i == 0 ? " " : ", ") << versions[i].first << " version " << versions[i].second;
    }
    std::cout << "\n" << grantsLine(target) << "\n";
    return kExitOk;
}

std::string seconds(std::chrono::milliseconds took) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(1) << static_cast<double>(took.count()) / 1000.0 << " s";
    return out.str();
}

// The state to move: --from, else the configuration's gateway.state_dir.
std::filesystem::path sourceOption(const ParsedOptions& options, const config::GatewayConfig& config) {
    const auto from = options.optional("from");
    if (!from) return config.stateDir;
    db::Location source;
    try {
        source = db::Location::parse(*from);
    } catch (const std::invalid_argument& e) {
        throw UsageError("--from " + std::string(e.what()));
    }
    if (source.engine != db::Engine::SQLite) {
        throw UsageError("--from must be sqlite:PATH, the state folder (or its state.db) to move");
    }
    return source.target;
}

// Where the state goes: --to, else the configuration's [storage] database.
struct MoveTarget {
    db::Location location;
    std::string configLine;  // what [storage] database should say, without a password
    bool configNamesTarget = false;
};

MoveTarget targetOption(const ParsedOptions& options, const config::GatewayConfig& config) {
    const auto passwordFile = options.optional("password-file");
    MoveTarget target;
    if (const auto to = options.optional("to")) {
        target.location = targetLocation(*to, passwordFile);
        const db::Location given = db::Location::parse(*to);
        target.configLine = given.display();
        if (passwordFile || given.target.find("password") != std::string::npos) {
            target.configLine += " (without the password: put it in the file named by storage.password_file)";
        }
        target.configNamesTarget = given.target == config.storage.postgresql;
    } else if (!config.storage.postgresql.empty()) {
        target.location = passwordFile
                              ? targetLocation("postgresql:" + config.storage.postgresql, passwordFile)
                              : *exchange::Gateway::postgresLocation(config);
        target.configNamesTarget = true;
    } else {
        throw UsageError("--to postgresql:CONNINFO is needed: " + config.file.string() +
                         " keeps its state in SQLite ([storage] database)");
    }
    return target;
}

void printMove(const config::GatewayConfig& config, const migration::SqliteState& source,
               const MoveTarget& target, const migration::StateMove& move) {
    const migration::StoreMoveReport& report = move.report;
    std::cout << "source ledger: intact, " << report.before.entries << " entries, root "
              << report.before.rootHash << ", " << report.before.checkpoints << " checkpoint(s), "
              << report.before.peerCheckpoints << " counterpart checkpoint(s)\n"
              << "rows copied, each table's count and content compared before the commit:\n";
    for (const migration::CopiedTable& t : report.tables) {
        std::string name = "  " + t.name;
        name.resize(std::max<std::size_t>(name.size() + 1, 24), ' ');
        std::cout << name << std::setw(10) << t.rows << (t.note.empty() ? "" : "   (" + t.note + ")") << "\n";
    }
    std::cout << "target ledger: intact, " << report.after.entries << " entries, root "
              << report.after.rootHash << " (the same), " << report.after.checkpoints << " checkpoint(s), "
              << report.after.peerCheckpoints << " counterpart checkpoint(s)\n"
              << "moved in " << seconds(report.took) << "; the SQLite files are left as they were.\n";
    if (move.filesOutsideStateDir) {
        std::cout << "note: the batch files are in " << source.folder.string() << ", not in "
                  << config.file.string() << "'s gateway.state_dir " << config.stateDir.string()
                  << ": make gateway.state_dir that folder\n";
    }
    if (target.configNamesTarget) {
        std::cout << "next: " << config.file.string()
                  << " already names this database: start the gateway; batch files stay in the state folder "
                  << config.stateDir.string() << "\n";
    } else {
        std::cout << "next: set [storage] database = " << target.configLine << " in " << config.file.string()
                  << " and start the gateway; batch files stay in the state folder "
                  << config.stateDir.string() << "\n";
    }
}

int moveState(const ParsedOptions& options) {
    const auto config = config::GatewayConfig::load(options.value("config"));
    const migration::SqliteState source = migration::SqliteState::at(sourceOption(options, config));
    const MoveTarget target = targetOption(options, config);
    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    const migration::StateMove move = migration::moveState(
        config, source, target.location,
        [&] {
            std::cout << "moving the state of " << config.party << " from sqlite:" << source.folder.string()
                      << " (state.db, ledger.db) to " << target.location.display() << std::endl;
        },
        [terminal](const std::string& table, std::uint64_t copied, std::uint64_t total) {
            if (!terminal || total < kProgressFromRows) return;
            std::cerr << "\r  copying " << table << ": " << copied << " of " << total << " rows"
                      << (copied >= total ? "\r\033[K" : "") << std::flush;
        });
    printMove(config, source, target, move);
    return kExitOk;
}

int migrateStore(const ParsedOptions& options) {
    if (options.has("config")) return moveState(options);
    if (options.has("from")) {
        throw UsageError("--from needs --config: the configuration's keys verify the ledger being moved");
    }
    if (!options.has("to"))
        throw UsageError("give --to postgresql:CONNINFO, and --config FILE to move a state into it");
    return createSchema(targetLocation(options.value("to"), options.optional("password-file")));
}

}  // namespace

Command migrateStoreCommand() {
    CommandSpec spec;
    spec.name = "migrate-store";
    spec.summary =
        "create or upgrade the PostgreSQL schema, or move a gateway's state from SQLite to PostgreSQL";
    spec.usage =
        "passerelle migrate-store --to postgresql:CONNINFO [--password-file FILE]\n"
        "       passerelle migrate-store --config FILE [--from sqlite:PATH] [--to postgresql:CONNINFO] "
        "[--password-file FILE]";
    spec.options = {
        configOption(),
        {"from", true,
         "the SQLite state to move: the state folder or its state.db (default: gateway.state_dir)",
         "sqlite:PATH"},
        {"to", true, "the PostgreSQL database (default: the configuration's [storage] database)",
         "postgresql:CONNINFO"},
        {"password-file", true, "read the database password from the first line of FILE", "FILE"}};
    spec.details =
        "With --to alone: creates or upgrades the schema of the state, the extraction requests and\n"
        "the ledger, applies the grants to the role passerelle_gateway, and stops. Run it as the\n"
        "database's owner before starting gateway instances whose role may not change the schema.\n"
        "\n"
        "With --config: moves the installation's whole state into the database, which must be empty.\n"
        "Stop the gateway first: the SQLite files are locked for the whole move, so a running gateway\n"
        "waits, or fails and retries later. The ledger is verified with the configuration's keys\n"
        "before anything is written (a ledger that does not verify is refused); every table is\n"
        "copied in one PostgreSQL transaction, its row count and content compared before the commit;\n"
        "the copied ledger is verified again. Batch files stay in the state folder. Then set\n"
        "[storage] database = postgresql:... in the configuration and start the gateway.\n"
        "\n"
        "Exit 0 when done; 1 when refused or failed (nothing written, unless the message says\n"
        "otherwise); 2 wrong usage; 3 configuration or keys wrong.";
    return {spec, migrateStore};
}

}  // namespace passerelle::cli
