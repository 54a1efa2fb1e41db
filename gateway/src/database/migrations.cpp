#include "database/migrations.h"

#include "common/clock.h"
#include "common/errors.h"

namespace passerelle::db {
namespace {

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (part TEXT NOT NULL, version BIGINT NOT NULL,"
    " summary TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (part, version))";

bool tableExists(Connection& c) {
    return c.integer(c.postgres() ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema ="
                                    " current_schema() AND table_name = 'schema_migrations'"
                                  : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                                    " AND name = 'schema_migrations'") > 0;
}

int versionIn(Connection& c, const std::string& part) {
    if (!tableExists(c)) return 0;
    return static_cast<int>(c.integer("SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE part = ?", {part}));
}

std::string ownerHint(const Database& db) {
    if (!db.postgres()) return "";
    return "; if this role may not change the schema, run `passerelle migrate-store --to " + db.location().display() +
           "` with the database owner's role (docs/operations.md)";
}

}  // namespace

int schemaVersion(Database& db, const std::string& part) {
    try {
        return db.withConnection([&](Connection& c) { return versionIn(c, part); });
    } catch (const DatabaseError& e) {
        throw StoreError("database " + db.name() + ": cannot read the schema version of " + part + ": " +
                         describe(e));
    }
}

void migrate(Database& db, const Schema& schema, bool regrant) {
    const int newest = schema.steps.empty() ? 0 : schema.steps.back().version;
    // Most starts find the schema current: no lock, no write.
    int current = 0;
    try {
        current = schemaVersion(db, schema.part);
    } catch (const StoreError&) {
        current = -1;  // unreadable here (no grant yet?): the locked pass below says why
    }
    if (current > newest) {
        throw StoreError("database " + db.name() + ": the " + schema.part + " schema is at version " +
                         std::to_string(current) + ", newer than this passerelle knows (" + std::to_string(newest) +
                         "); run the passerelle that upgraded it, or a newer one");
    }
    if (current == newest && !regrant) return;
    int from = current;
    try {
        db.transaction([&](Connection& c) {
            // One migrator at a time, whatever the part: SQLite's BEGIN IMMEDIATE, or this lock.
            c.lockForTransaction("passerelle schema migrations");
            if (!tableExists(c)) c.execute(kCreateTable);
            from = versionIn(c, schema.part);
            if (from > newest) return;
            for (const Migration& step : schema.steps) {
                if (step.version <= from) continue;
                step.apply(c);
                c.execute("INSERT INTO schema_migrations (part, version, summary, applied_at) VALUES (?, ?, ?, ?)",
                          {schema.part, step.version, step.summary, formatUtc(SystemClock().now())});
            }
            if (c.postgres()) {
                // Only when the group role exists: a single-role set-up (development, tests) has none.
                std::string grants = "GRANT SELECT ON schema_migrations TO " + std::string(kGatewayRole) + ";";
                for (const std::string& grant : schema.grants) grants += " " + grant + ";";
                c.execute("DO $grants$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" +
                          std::string(kGatewayRole) + "') THEN " + grants + " END IF; END $grants$");
            }
        });
    } catch (const std::exception& e) {
        throw StoreError("database " + db.name() + ": cannot bring the " + schema.part + " schema from version " +
                         std::to_string(std::max(from, 0)) + " to " + std::to_string(newest) + ": " + describe(e) +
                         ownerHint(db));
    }
    if (from > newest) {
        throw StoreError("database " + db.name() + ": the " + schema.part + " schema is at version " +
                         std::to_string(from) + ", newer than this passerelle knows (" + std::to_string(newest) + ")");
    }
}

}  // namespace passerelle::db
