#pragma once
// Versioned schema migrations (docs/operations.md). Each part of the state (the
// state store, the ledger, the extraction requests) lists its migrations, numbered
// from 1 and never edited once released; `migrate` applies the missing ones in one
// transaction, under a lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock),
// so several instances starting together apply each step once. The versions applied
// are in the table schema_migrations (part, version, summary, applied_at).

#include "database/database.h"

#include <functional>
#include <string>
#include <vector>

namespace passerelle::db {

struct Migration {
    int version = 0;
    std::string summary;
    std::function<void(Connection&)> apply;  // inside migrate's transaction
};

struct Schema {
    std::string part;                 // "state", "ledger", "extraction_requests"
    std::vector<Migration> steps;     // versions 1..N in order
    // PostgreSQL only: statements that give the group role passerelle_gateway what the
    // gateway needs and nothing more; run after each migration and by `migrate-store`.
    std::vector<std::string> grants;
};

// The part's version in this database: 0 when none was applied.
int schemaVersion(Database& db, const std::string& part);

// Applies the missing steps under the lock. Throws StoreError naming the database,
// the part and both versions: when the database is newer than this program, or
// when a step fails (e.g. the role may not create tables: then the message says to
// run `passerelle migrate-store --to ...` as the database's owner).
// `regrant`: apply the grants even when no step was missing.
void migrate(Database& db, const Schema& schema, bool regrant = false);

// The PostgreSQL group role the grants name (docs/operations.md).
inline constexpr const char* kGatewayRole = "passerelle_gateway";

}  // namespace passerelle::db
