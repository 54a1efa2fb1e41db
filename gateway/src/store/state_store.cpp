#include "store/state_store.h"

#include "common/errors.h"
#include "database/migrations.h"

#include <cerrno>
#include <csignal>
#include <set>
#include <unistd.h>

namespace passerelle::store {

namespace {

// Columns added after the first release, created on an SQLite store made before
// versioned migrations (version 1 brings any earlier file up to date).
void addMissingColumns(db::Connection& c, const std::string& table,
                       const std::vector<std::pair<std::string, std::string>>& columns) {
    const db::Rows info =
        c.query("PRAGMA table_info(" + table + ")", {db::ColumnType::Integer, db::ColumnType::Text});
    std::set<std::string> present;
    for (std::size_t row = 0; row < info.size(); ++row) present.insert(info.text(row, 1));
    for (const auto& [name, definition] : columns) {
        if (!present.contains(name)) c.execute("ALTER TABLE " + table + " ADD COLUMN " + name + " " + definition);
    }
}

// Version 1: the state as of the first PostgreSQL release. The same DDL on both
// engines (BIGINT is an INTEGER to SQLite); older SQLite files get their missing columns.
void createStateTables(db::Connection& c) {
    c.execute("CREATE TABLE IF NOT EXISTS outbox ("
               " batch_id TEXT PRIMARY KEY, recipient TEXT NOT NULL, purpose TEXT NOT NULL,"
               " job TEXT NOT NULL, record_count BIGINT NOT NULL, payload_digest TEXT NOT NULL,"
               " created_at TEXT NOT NULL, status TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0,"
               " last_error TEXT NOT NULL DEFAULT '', receipt TEXT NOT NULL DEFAULT '',"
               " receipt_signature TEXT NOT NULL DEFAULT '', receipted_at TEXT NOT NULL DEFAULT '',"
               " next_attempt_at BIGINT NOT NULL DEFAULT 0, last_attempt_at TEXT NOT NULL DEFAULT '',"
               " claim_owner TEXT NOT NULL DEFAULT '', claimed_until BIGINT NOT NULL DEFAULT 0,"
               " dead_lettered_at TEXT NOT NULL DEFAULT '', requeued_at TEXT NOT NULL DEFAULT '',"
               " files_at TEXT NOT NULL DEFAULT '')");
    c.execute("CREATE TABLE IF NOT EXISTS inbox ("
               " batch_id TEXT PRIMARY KEY, sender TEXT NOT NULL, purpose TEXT NOT NULL,"
               " record_count BIGINT NOT NULL, payload_digest TEXT NOT NULL, received_at TEXT NOT NULL,"
               " receipt TEXT NOT NULL, receipt_signature TEXT NOT NULL, status TEXT NOT NULL,"
               " sink_attempts BIGINT NOT NULL DEFAULT 0, sink_error TEXT NOT NULL DEFAULT '',"
               " delivered_at TEXT NOT NULL DEFAULT '', files_at TEXT NOT NULL DEFAULT '',"
               " sink_owner TEXT NOT NULL DEFAULT '', sink_claimed_until BIGINT NOT NULL DEFAULT 0)");
    if (!c.postgres()) {
        addMissingColumns(c, "outbox",
                          {{"next_attempt_at", "INTEGER NOT NULL DEFAULT 0"},
                           {"last_attempt_at", "TEXT NOT NULL DEFAULT ''"},
                           {"claim_owner", "TEXT NOT NULL DEFAULT ''"},
                           {"claimed_until", "INTEGER NOT NULL DEFAULT 0"},
                           {"dead_lettered_at", "TEXT NOT NULL DEFAULT ''"},
                           {"requeued_at", "TEXT NOT NULL DEFAULT ''"},
                           {"files_at", "TEXT NOT NULL DEFAULT ''"}});
        addMissingColumns(c, "inbox",
                          {{"files_at", "TEXT NOT NULL DEFAULT ''"},
                           {"sink_owner", "TEXT NOT NULL DEFAULT ''"},
                           {"sink_claimed_until", "INTEGER NOT NULL DEFAULT 0"}});
    }
    c.execute("CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at)");
    c.execute("CREATE INDEX IF NOT EXISTS inbox_status ON inbox (status, received_at)");
    // Incremental jobs: per record key, the digest of the record last queued. SQLite
    // integers are signed: the 64-bit values are stored as their bit pattern.
    c.execute("CREATE TABLE IF NOT EXISTS job_cursor ("
               " job TEXT NOT NULL, record_key BIGINT NOT NULL, digest BIGINT NOT NULL,"
               " batch_id TEXT NOT NULL, PRIMARY KEY (job, record_key))" +
              std::string(c.postgres() ? "" : " WITHOUT ROWID"));
    c.execute("CREATE TABLE IF NOT EXISTS job_runs ("
               " job TEXT PRIMARY KEY, last_scheduled_for BIGINT NOT NULL DEFAULT 0,"
               " last_started_at TEXT NOT NULL DEFAULT '', last_finished_at TEXT NOT NULL DEFAULT '',"
               " last_outcome TEXT NOT NULL DEFAULT '')");
    // Pseudonyms only, never the id they were computed from (docs/privacy.md).
    c.execute("CREATE TABLE IF NOT EXISTS objections ("
               " purpose TEXT NOT NULL, pseudonym TEXT NOT NULL, created_at TEXT NOT NULL,"
               " PRIMARY KEY (purpose, pseudonym))");
}

}  // namespace

const db::Schema& stateSchema() {
    static const db::Schema schema{
        "state",
        {{1, "outbox, inbox, job cursors, job runs, objections", createStateTables}},
        {"GRANT SELECT, INSERT, UPDATE, DELETE ON outbox, inbox, job_cursor, job_runs, objections TO " +
         std::string(db::kGatewayRole)}};
    return schema;
}

std::string_view outboxStatusName(OutboxStatus s) {
    switch (s) {
        case OutboxStatus::Pending: return "pending";
        case OutboxStatus::Receipted: return "receipted";
        case OutboxStatus::DeadLetter: return "dead-letter";
    }
    return "pending";
}

std::string processOwner() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    return std::string(host) + ":" + std::to_string(getpid());
}

bool ownerIsGone(const std::string& owner) {
    const auto colon = owner.rfind(':');
    if (colon == std::string::npos) return false;
    const std::string self = processOwner();
    if (owner.compare(0, colon, self, 0, self.rfind(':')) != 0 || self.rfind(':') != colon) return false;  // another host
    pid_t pid = 0;
    try {
        pid = static_cast<pid_t>(std::stol(owner.substr(colon + 1)));
    } catch (const std::exception&) {
        return false;
    }
    return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

namespace {

// The schema first: each group of tables expects it.
std::shared_ptr<db::Database> migrated(std::shared_ptr<db::Database> database) {
    db::migrate(*database, stateSchema());
    return database;
}

}  // namespace

StateStore::StateStore(std::shared_ptr<db::Database> database)
    : db_(migrated(std::move(database))),
      outbox_(db_),
      inbox_(db_),
      objections_(db_),
      jobs_(db_),
      locks_(db_) {}

StateStore::StateStore(const std::filesystem::path& sqliteFile)
    : StateStore(std::make_shared<db::Database>(db::Location::sqlite(sqliteFile))) {}

}  // namespace passerelle::store
