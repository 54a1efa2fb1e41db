#pragma once
// Moving an installation's state from its SQLite files to a PostgreSQL database:
// the work behind `passerelle migrate-store` (docs/migrate-store.md).
//
// The source files are locked for writing (BEGIN IMMEDIATE) for the whole move;
// their ledger must verify before anything is written; the target must be empty;
// every table is copied in chunks inside one PostgreSQL transaction, and each
// table's row count and content digest are compared with the source before it
// commits; the target's ledger is verified again once committed.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "database/database.h"
#include "config/gateway_config.h"
#include "ledger/ledger.h"

namespace passerelle::migration {

// The two SQLite files of a state folder.
struct SqliteState {
    std::filesystem::path folder;
    std::filesystem::path stateFile;   // state.db: state store and extraction requests
    std::filesystem::path ledgerFile;  // ledger.db

    // `path` is the state folder or its state.db. Throws Error when either file is missing.
    static SqliteState at(const std::filesystem::path& path);
};

// Brings the three parts' schemas (state, extraction_requests, ledger) of `target`
// to this program's versions and applies their grants to the gateway's group role.
// Returns each part's version.
std::vector<std::pair<std::string, int>> prepareSchema(db::Database& target);

// Whether the PostgreSQL server has the gateway's group role (db::kGatewayRole).
bool gatewayRoleExists(db::Database& target);

// The keys that may have signed the ledger's checkpoints, as the gateway resolves
// them (exchange::checkpointKeyResolver, party/peer_keys.h): this party's current and retired signing
// keys, and each peer's current one. Public keys only: the move needs no secret.
ledger::KeyResolver checkpointKeysOf(const config::GatewayConfig& config);

struct CopiedTable {
    std::string name;
    std::uint64_t rows = 0;
    std::string note;  // e.g. "sequence seq continues after 12"
};

struct StoreMoveReport {
    std::vector<CopiedTable> tables;
    ledger::Ledger::Verification before;  // the source ledger
    ledger::Ledger::Verification after;   // the target ledger, once committed
    std::chrono::milliseconds took{0};
};

// Called after each chunk of a table: rows copied so far, rows in all.
using CopyProgress = std::function<void(const std::string& table, std::uint64_t copied, std::uint64_t total)>;

// Moves the whole state of `from` into the PostgreSQL database `to`, the source
// ledger verified with `keys` first. Throws Error saying what and where when the
// source is busy or does not verify, the target is not empty, or the copy differs
// (rolled back, or — for the ledger checked after the commit — said precisely).
StoreMoveReport moveStore(const SqliteState& from, const db::Location& to, const ledger::KeyResolver& keys,
                          const CopyProgress& progress);

}  // namespace passerelle::migration
