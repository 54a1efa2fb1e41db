#pragma once
// The gateway's durable state besides the ledger: the institution's outbox
// (sealed batches waiting for, or holding, their receipt) and the Region's
// inbox (batches stored and acknowledged, waiting for, or handed to, the sink),
// and the institution's objections and per-batch pseudonyms (pseudonymous data
// only: no table here maps a pseudonym back to a person).
// Each group of tables is its own class over the one db::Database: Outbox,
// Inbox, Objections, JobState (cursors and runs) and InstanceLocks.
// On a db::Database: SQLite in WAL mode with synchronous=FULL (a row is on disk when
// a call returns), or PostgreSQL shared by several gateway instances (claims with
// FOR UPDATE SKIP LOCKED, job runs and receptions under advisory locks).

#include "database/database.h"
#include "database/migrations.h"
#include "store/inbox.h"
#include "store/instance_locks.h"
#include "store/job_state.h"
#include "store/objections.h"
#include "store/outbox.h"
#include "store/state_records.h"

#include <filesystem>
#include <memory>

namespace passerelle::store {

// The state's tables and their migrations (db::migrate, part "state").
const db::Schema& stateSchema();

// Opens the state's database, brings its schema up to date, and hands out each
// group of tables; a service keeps only the groups it uses.
class StateStore {
public:
    // Opens the store on the database, applying missing migrations first.
    explicit StateStore(std::shared_ptr<db::Database> database);
    // The embedded default: an SQLite file.
    explicit StateStore(const std::filesystem::path& sqliteFile);

    db::Database& database() { return *db_; }
    const std::shared_ptr<db::Database>& sharedDatabase() const { return db_; }

    Outbox& outbox() { return outbox_; }          // institution side
    Inbox& inbox() { return inbox_; }             // region side
    Objections& objections() { return objections_; }  // institution side, GDPR art. 21
    JobState& jobs() { return jobs_; }
    InstanceLocks& locks() { return locks_; }
    // (Which batches carried which pseudonyms: store/carried_pseudonyms.h.)

private:
    std::shared_ptr<db::Database> db_;
    Outbox outbox_;
    Inbox inbox_;
    Objections objections_;
    JobState jobs_;
    InstanceLocks locks_;
};

}  // namespace passerelle::store
