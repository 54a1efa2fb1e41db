#include "ledger/storage.h"

#include "database/migrations.h"
#include "ledger/ledger_tables.h"

namespace passerelle::ledger {

std::string withoutPrefix(std::string_view text, std::string_view prefix) {
    if (text.substr(0, prefix.size()) == prefix) text.remove_prefix(prefix.size());
    return std::string(text);
}

std::shared_ptr<db::Database> LedgerStorage::openSqlite(const std::filesystem::path& file) {
    const std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : ".";
    if (std::error_code ec; !std::filesystem::is_directory(folder, ec)) {
        throw LedgerError("cannot open ledger " + file.string() + ": folder " + folder.string() +
                          " does not exist; create it first");
    }
    const db::Location location = db::Location::sqlite(file);
    try {
        return std::make_shared<db::Database>(location);
    } catch (const StoreError& ex) {
        throw LedgerError("cannot open ledger " + location.display() + ": " +
                          withoutPrefix(ex.what(), "database " + location.display() + ": cannot open: "));
    }
}

LedgerStorage::LedgerStorage(std::shared_ptr<db::Database> database, const Clock& clock)
    : db_(std::move(database)), clock_(&clock) {
    if (!db_) throw LedgerError("cannot open a ledger without a database");
    try {
        db::migrate(*db_, tables::schema(clock, &appendedAtOpen_));
        // The file is writable by whoever could drop a trigger: each open puts them back.
        if (!db_->postgres()) {
            db_->transaction([](db::Connection& c) { tables::restoreSqliteTriggers(c); });
        }
    } catch (const StoreError& ex) {
        throw LedgerError("cannot open ledger " + name() + ": " +
                          withoutPrefix(ex.what(), "database " + name() + ": "));
    } catch (const db::DatabaseError& ex) {
        throw LedgerError("cannot open ledger " + name() + ": " + ex.what());
    } catch (const LedgerError& ex) {
        throw LedgerError("cannot open ledger " + name() + ": " + ex.what());
    }
}

}  // namespace passerelle::ledger
