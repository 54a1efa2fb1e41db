#include "database/migrations.h"

#include "common/clock.h"
#include "common/errors.h"

#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

using namespace Poco::Data::Keywords;

namespace passerelle::db {
namespace {

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (part TEXT NOT NULL, version BIGINT NOT NULL,"
    " summary TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (part, version))";

bool tableExists(Database& db, Poco::Data::Session& session) {
    Poco::Int64 found = 0;
    if (db.postgres()) {
        session << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()"
                   " AND table_name = 'schema_migrations'",
            into(found), now;
    } else {
        session << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            into(found), now;
    }
    return found > 0;
}

int versionIn(Database& db, Poco::Data::Session& session, const std::string& part) {
    if (!tableExists(db, session)) return 0;
    Poco::Int64 version = 0;
    std::string p = part;
    session << db.sql("SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE part = ?"), use(p),
        into(version), now;
    return static_cast<int>(version);
}

std::string ownerHint(const Database& db) {
    if (!db.postgres()) return "";
    return "; if this role may not change the schema, run `passerelle migrate-store --to " + db.location().display() +
           "` with the database owner's role (docs/operations.md)";
}

}  // namespace

int schemaVersion(Database& db, const std::string& part) {
    try {
        return db.withSession([&](Poco::Data::Session& session) { return versionIn(db, session, part); });
    } catch (const Poco::Exception& e) {
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
        db.transaction([&](Poco::Data::Session& session) {
            // One migrator at a time, whatever the part: SQLite's BEGIN IMMEDIATE, or this lock.
            db.lockForTransaction(session, "passerelle schema migrations");
            if (!tableExists(db, session)) session << kCreateTable, now;
            from = versionIn(db, session, schema.part);
            if (from > newest) return;
            for (const Migration& step : schema.steps) {
                if (step.version <= from) continue;
                step.apply(db, session);
                Poco::Int64 version = step.version;
                std::string part = schema.part, summary = step.summary, at = formatUtc(SystemClock().now());
                session << db.sql("INSERT INTO schema_migrations (part, version, summary, applied_at)"
                                  " VALUES (?, ?, ?, ?)"),
                    use(part), use(version), use(summary), use(at), now;
            }
            if (db.postgres()) {
                // Only when the group role exists: a single-role set-up (development, tests) has none.
                std::string grants = "GRANT SELECT ON schema_migrations TO " + std::string(kGatewayRole) + ";";
                for (const std::string& grant : schema.grants) grants += " " + grant + ";";
                session << "DO $grants$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" +
                               std::string(kGatewayRole) + "') THEN " + grants + " END IF; END $grants$",
                    now;
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
