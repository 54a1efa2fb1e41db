#pragma once
// What the ledger's appender, reader and verifier share (ledger/ledger.h): the
// database, already migrated, the clock that dates entries and checkpoints, and
// the one way a database error becomes a LedgerError that names the ledger.
// Internal to the ledger concern: use ledger/appender.h, reader.h or verifier.h.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/errors.h"
#include "database/database.h"

namespace passerelle::ledger {

class LedgerStorage {
public:
    // Applies missing migrations (db::migrate, part "ledger") and, on SQLite, restores
    // any dropped append-only trigger. Throws LedgerError naming the database.
    LedgerStorage(std::shared_ptr<db::Database> database, const Clock& clock);

    // Opens (creating if needed) an SQLite ledger file; refuses a folder that is not
    // there, so a mistyped state directory does not start a new, empty ledger.
    static std::shared_ptr<db::Database> openSqlite(const std::filesystem::path& file);

    db::Database& db() const { return *db_; }
    const Clock& clock() const { return *clock_; }
    // The database as error messages name it: the SQLite file, or the PostgreSQL
    // conninfo without its password.
    const std::string& name() const { return db_->name(); }
    // Entries the opening migration appended (the record of a carried-over hash chain).
    std::uint64_t appendedAtOpen() const { return appendedAtOpen_; }

    // Runs fn(db::Connection&) on a connection of the database, turning a database
    // error into LedgerError("cannot WHAT ledger NAME: ...").
    template <typename Fn>
    auto reading(const char* what, Fn&& fn) const {
        try {
            return db_->withConnection(std::forward<Fn>(fn));
        } catch (const db::DatabaseError& ex) {
            throw LedgerError(std::string("cannot ") + what + " ledger " + name() + ": " + ex.what());
        }
    }

private:
    std::shared_ptr<db::Database> db_;
    const Clock* clock_;
    std::uint64_t appendedAtOpen_ = 0;
};

// `text` without `prefix` (when it starts with it): a database error already says
// which database, and the ledger's message names it once.
std::string withoutPrefix(std::string_view text, std::string_view prefix);

}  // namespace passerelle::ledger
