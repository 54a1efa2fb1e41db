#include "ledger/ledger.h"

#include "database/migrations.h"
#include "ledger/ledger_tables.h"
#include "ledger/storage.h"

namespace passerelle::ledger {

const Clock& systemClock() {
    static const SystemClock clock;
    return clock;
}

const db::Schema& ledgerSchema() {
    static const db::Schema schema = tables::schema(systemClock(), nullptr);
    return schema;
}

Ledger::Ledger(std::shared_ptr<const LedgerStorage> storage)
    : LedgerAppender(storage), LedgerReader(storage), LedgerVerifier(storage) {}

Ledger::Ledger(std::shared_ptr<db::Database> database, const Clock& clock)
    : Ledger(std::make_shared<const LedgerStorage>(std::move(database), clock)) {}

Ledger::Ledger(const std::filesystem::path& sqliteFile, const Clock& clock)
    : Ledger(LedgerStorage::openSqlite(sqliteFile), clock) {}

}  // namespace passerelle::ledger
