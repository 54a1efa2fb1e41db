#include "migration/store_move.h"

#include "privacy/key_folder.h"

#include <Poco/MD5Engine.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "common/encoding.h"
#include "common/errors.h"
#include "database/connection.h"
#include "database/migrations.h"
#include "party/peer_keys.h"
#include "store/extraction_requests.h"
#include "store/state_store.h"

namespace passerelle::migration {
namespace {

using db::ColumnType;

// Rows read from SQLite at a time: memory stays flat whatever a table's size.
constexpr std::size_t kChunkRows = 2000;
// Parameters per INSERT, whatever the table's width. PostgreSQL accepts 65,535,
// but libpq 15.18 and older take a ParameterDescription longer than 30,000 bytes
// (4 a parameter: about 7,500 parameters) for lost synchronisation, and every
// statement is described before it runs. 1,000 keeps far below that.
constexpr std::size_t kMaxParameters = 1'000;

// The order of the copy; a source table not listed comes after these.
const std::vector<std::string> kCopyOrder = {"outbox",          "inbox",       "job_cursor",
                                             "job_runs",        "objections",  "extraction_requests",
                                             "ledger_entries",  "ledger_tree", "ledger_checkpoints",
                                             "peer_checkpoints"};

// PostgreSQL's ledger schema starts ledger_tree with the empty tree's row (id 1, size 0)
// so that even the first append can lock it (ledger/ledger_tables.cpp). That row is not
// state: the copy replaces it, or keeps it when the source ledger never had a tree row.
constexpr const char* kTreeTable = "ledger_tree";
constexpr const char* kEmptyTreeRow =
    "INSERT INTO ledger_tree (id, size, frontier) VALUES (1, 0, '\\x'::bytea)";

std::string quoted(const std::string& identifier) {
    std::string out = "\"";
    for (char c : identifier) {
        out += c;
        if (c == '"') out += '"';
    }
    return out + "\"";
}

struct Column {
    std::string name;
    ColumnType type = ColumnType::Text;
    bool identity = false;  // GENERATED ALWAYS AS IDENTITY in the target
};

struct Table {
    std::string name;
    db::Connection* source = nullptr;  // the connection to the SQLite file holding it
    std::string sourceName;            // that file, for messages
    std::vector<Column> columns;       // the target's, in its order
    std::vector<std::string> key;      // the source's primary key: rows are read in its order
    std::uint64_t sourceRows = 0;

    bool hasIdentity() const {
        return std::any_of(columns.begin(), columns.end(), [](const Column& c) { return c.identity; });
    }
    std::string columnList() const {
        std::string list;
        for (const Column& c : columns) list += (list.empty() ? "" : ", ") + quoted(c.name);
        return list;
    }
    std::vector<ColumnType> columnTypes() const {
        std::vector<ColumnType> types;
        for (const Column& c : columns) types.push_back(c.type);
        return types;
    }
};

// A cell's canonical text, as digestQuery writes it: integer in decimal, text as is,
// bytes in lowercase hex.
std::string canonical(const db::Rows& rows, std::size_t row, std::size_t column, ColumnType type) {
    switch (type) {
        case ColumnType::Integer:
            return std::to_string(rows.integer(row, column));
        case ColumnType::Text:
            return rows.text(row, column);
        case ColumnType::Bytes:
            return toHex(rows.bytes(row, column));
    }
    return {};
}

// An order-independent digest of a table's rows: the sum, modulo 2^64, of 60 bits of
// MD5 over each row's values. PostgreSQL computes the same over the copy (digestQuery),
// so the content is compared without reading it back. MD5 is enough here: it catches a
// copy gone wrong, not an adversary (the ledger has its own signed checks).
class TableDigest {
public:
    void add(const Table& table, const db::Rows& rows, std::size_t row) {
        std::string text;
        for (std::size_t c = 0; c < table.columns.size(); ++c) {
            if (rows.isNull(row, c)) {
                text += 'N';
                continue;
            }
            const std::string v = canonical(rows, row, c, table.columns[c].type);
            text += 'V' + std::to_string(v.size()) + ':' + v;
        }
        Poco::MD5Engine md5;
        md5.update(text);
        const auto& digest = md5.digest();
        std::uint64_t first = 0;
        for (std::size_t i = 0; i < 8; ++i) first = (first << 8) | digest[i];
        sum_ += first >> 4;
    }
    std::string text() const { return std::to_string(sum_); }

private:
    std::uint64_t sum_ = 0;
};

// Row count and digest of a target table, as TableDigest computes it.
std::string digestQuery(const Table& table) {
    std::string row;
    for (const Column& c : table.columns) {
        const std::string name = quoted(c.name);
        const std::string value = c.type == ColumnType::Integer ? name + "::text"
                                  : c.type == ColumnType::Bytes ? "encode(" + name + ", 'hex')"
                                                                : name;
        row += (row.empty() ? "" : " || ") +
               ("CASE WHEN " + name + " IS NULL THEN 'N' ELSE 'V' || octet_length(" + value +
                ")::text || ':' || " + value + " END");
    }
    return "SELECT COUNT(*), (COALESCE(SUM(('x' || substr(md5(" + row +
           "), 1, 15))::bit(60)::bigint), 0) % 18446744073709551616)::text FROM " + quoted(table.name);
}

// --- reading the source

std::vector<std::string> sqliteTables(db::Connection& source) {
    const db::Rows rows = source.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"
        " AND name <> 'schema_migrations' ORDER BY name",
        {ColumnType::Text});
    std::vector<std::string> names;
    for (std::size_t r = 0; r < rows.size(); ++r) names.push_back(rows.text(r, 0));
    return names;
}

std::int64_t countRows(db::Connection& connection, const std::string& table) {
    return connection.integer("SELECT COUNT(*) FROM " + quoted(table));
}

// The table as both databases have it: the target's columns (which must be the
// source's), the source's primary key and row count.
Table planTable(const std::string& name, db::Connection& source, const std::string& sourceName,
                db::Connection& target, const std::string& targetName) {
    Table table{name, &source, sourceName, {}, {}, 0};
    const db::Rows sourceInfo = source.query("SELECT name, pk FROM pragma_table_info(?)",
                                             {ColumnType::Text, ColumnType::Integer}, {name});
    std::vector<std::string> sourceColumns;
    std::vector<std::pair<std::int64_t, std::string>> key;
    for (std::size_t r = 0; r < sourceInfo.size(); ++r) {
        sourceColumns.push_back(sourceInfo.text(r, 0));
        if (sourceInfo.integer(r, 1) > 0) key.emplace_back(sourceInfo.integer(r, 1), sourceInfo.text(r, 0));
    }
    std::sort(key.begin(), key.end());
    for (const auto& [position, column] : key) table.key.push_back(column);

    const db::Rows targetInfo = target.query(
        "SELECT column_name::text, data_type::text, is_identity::text FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
        {ColumnType::Text, ColumnType::Text, ColumnType::Text}, {name});
    std::vector<std::string> names, types, identities;
    for (std::size_t r = 0; r < targetInfo.size(); ++r) {
        names.push_back(targetInfo.text(r, 0));
        types.push_back(targetInfo.text(r, 1));
        identities.push_back(targetInfo.text(r, 2));
    }
    if (names.empty()) {
        throw StoreError("table " + name + " of " + sourceName + " has no counterpart in " + targetName +
                         ": it is not a table this passerelle knows; nothing was written");
    }
    const std::set<std::string> inSource(sourceColumns.begin(), sourceColumns.end());
    const std::set<std::string> inTarget(names.begin(), names.end());
    for (const std::string& c : inSource) {
        if (!inTarget.contains(c)) {
            throw StoreError("column " + c + " of table " + name + " in " + sourceName +
                             " has no counterpart in " + targetName + "; nothing was written");
        }
    }
    for (const std::string& c : inTarget) {
        if (!inSource.contains(c)) {
            throw StoreError("column " + c + " of table " + name + " in " + targetName + " is not in " +
                             sourceName + "; nothing was written");
        }
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
        Column column{names[i], ColumnType::Text, identities[i] == "YES"};
        if (types[i] == "bigint" || types[i] == "integer" || types[i] == "smallint") {
            column.type = ColumnType::Integer;
        } else if (types[i] == "bytea") {
            column.type = ColumnType::Bytes;
        } else if (types[i] != "text" && types[i] != "character varying") {
            throw StoreError("column " + names[i] + " of table " + name + " in " + targetName +
                             " is of type " + types[i] +
                             ", which migrate-store does not copy; nothing was written");
        }
        table.columns.push_back(std::move(column));
    }
    table.sourceRows = static_cast<std::uint64_t>(countRows(source, name));
    return table;
}

// --- writing the target

// One multi-row INSERT of rows [from, to) of the chunk, its cells bound as they are.
void insertRows(const Table& table, db::Connection& target, const db::Rows& rows, std::size_t from,
                std::size_t to) {
    std::string row = "(";
    for (std::size_t c = 0; c < rows.columns(); ++c) row += c == 0 ? "?" : ", ?";
    row += ")";
    std::string sql = "INSERT INTO " + quoted(table.name) + " (" + table.columnList() + ")" +
                      (table.hasIdentity() ? " OVERRIDING SYSTEM VALUE" : "") + " VALUES ";
    db::Values values;
    values.reserve((to - from) * rows.columns());
    for (std::size_t r = from; r < to; ++r) {
        sql += (r == from ? "" : ", ") + row;
        for (std::size_t c = 0; c < rows.columns(); ++c) values.push_back(rows.value(r, c));
    }
    target.execute(sql, values);
}

// Copies the table a chunk at a time; returns the rows copied and adds each to `digest`.
std::uint64_t copyRows(const Table& table, db::Connection& target, TableDigest& digest,
                       const CopyProgress& progress) {
    std::string sql = "SELECT " + table.columnList() + " FROM " + quoted(table.name);
    for (std::size_t i = 0; i < table.key.size(); ++i)
        sql += (i == 0 ? " ORDER BY " : ", ") + quoted(table.key[i]);
    const std::size_t perInsert =
        std::max<std::size_t>(1, std::min(kChunkRows, kMaxParameters / table.columns.size()));
    std::uint64_t copied = 0;
    table.source->forEachChunk(sql, table.columnTypes(), {}, kChunkRows, [&](const db::Rows& rows) {
        for (std::size_t row = 0; row < rows.size(); ++row) digest.add(table, rows, row);
        for (std::size_t from = 0; from < rows.size(); from += perInsert) {
            insertRows(table, target, rows, from, std::min(rows.size(), from + perInsert));
        }
        copied += rows.size();
        if (progress) progress(table.name, copied, table.sourceRows);
    });
    return copied;
}

// Identity columns (the checkpoints' seq) continue after the copied values.
std::string continueSequences(const Table& table, db::Connection& target) {
    std::string note;
    for (const Column& c : table.columns) {
        if (!c.identity) continue;
        const db::Rows set =
            target.query("SELECT setval(pg_get_serial_sequence(?, ?), MAX(" + quoted(c.name) + ")) FROM " +
                             quoted(table.name) + " HAVING MAX(" + quoted(c.name) + ") IS NOT NULL",
                         {ColumnType::Integer}, {quoted(table.name), c.name});
        if (!set.empty())
            note = "sequence of " + c.name + " continues after " + std::to_string(set.integer(0, 0));
    }
    return note;
}

// --- the move

// Runs fn(connection) holding the file's write lock (BEGIN IMMEDIATE), so no gateway
// process writes to it meanwhile; a busy file is said to be so.
template <typename Fn>
void holdingWriteLock(db::Database& db, Fn&& fn) {
    bool held = false;
    try {
        db.transaction([&](db::Connection& connection) {
            held = true;
            fn(connection);
        });
    } catch (const db::DatabaseError& e) {
        if (held) throw;
        throw StoreError(
            "cannot lock " + db.name() + " for the move: " + e.what() +
            "; stop the gateway (passerelle run) and every command using this state folder, then run "
            "migrate-store again");
    }
}

std::string describeLedger(const ledger::Ledger::Verification& v) {
    return std::to_string(v.entries) + " entries, root " + v.rootHash + ", " + std::to_string(v.checkpoints) +
           " checkpoint(s), " + std::to_string(v.peerCheckpoints) + " counterpart checkpoint(s)";
}

// The tables of both files, in copy order, planned against the target.
std::vector<Table> planTables(db::Connection& state, const std::string& stateName, db::Connection& ledger,
                              const std::string& ledgerName, db::Connection& target,
                              const std::string& targetName) {
    std::map<std::string, std::pair<db::Connection*, std::string>> sources;
    for (const std::string& t : sqliteTables(state)) sources[t] = {&state, stateName};
    for (const std::string& t : sqliteTables(ledger)) sources[t] = {&ledger, ledgerName};
    std::vector<std::string> order;
    for (const std::string& t : kCopyOrder) {
        if (sources.contains(t)) order.push_back(t);
    }
    for (const auto& [t, where] : sources) {
        if (std::find(order.begin(), order.end(), t) == order.end()) order.push_back(t);
    }
    std::vector<Table> tables;
    for (const std::string& t : order) {
        tables.push_back(planTable(t, *sources[t].first, sources[t].second, target, targetName));
    }
    return tables;
}

// Refuses a target that holds any row (but the empty tree's): a move goes into an empty database only.
void requireEmpty(const std::vector<Table>& tables, db::Connection& target, const std::string& targetName) {
    std::string held;
    for (const Table& t : tables) {
        const std::int64_t rows = target.integer("SELECT COUNT(*) FROM " + quoted(t.name) +
                                                 (t.name == kTreeTable ? " WHERE size <> 0" : ""));
        if (rows > 0)
            held += (held.empty() ? "" : ", ") +
                    ("table " + t.name + " holds " + std::to_string(rows) + " row(s)");
    }
    if (!held.empty()) {
        throw StoreError(targetName + " is not empty: " + held +
                         "; migrate-store moves a state into an empty database only. Nothing was written");
    }
}

void compareCopy(const Table& table, db::Connection& target, const std::string& targetName,
                 std::uint64_t copied, const TableDigest& digest) {
    const db::Rows counted = target.query(digestQuery(table), {ColumnType::Integer, ColumnType::Text});
    const std::int64_t rows = counted.integer(0, 0);
    const std::string& sum = counted.text(0, 1);
    if (copied != table.sourceRows || static_cast<std::uint64_t>(rows) != table.sourceRows) {
        throw StoreError("table " + table.name + ": " + std::to_string(table.sourceRows) + " row(s) in " +
                         table.sourceName + ", " + std::to_string(copied) + " read, " + std::to_string(rows) +
                         " in " + targetName + " after the copy; rolled back, nothing was written");
    }
    if (sum != digest.text()) {
        throw StoreError("table " + table.name + ": the rows in " + targetName + " differ from those in " +
                         table.sourceName +
                         " after the copy (same count, other values); rolled back, nothing "
                         "was written");
    }
}

}  // namespace

SqliteState SqliteState::at(const std::filesystem::path& path) {
    std::error_code ec;
    SqliteState state;
    if (std::filesystem::is_directory(path, ec)) {
        state.folder = path;
        state.stateFile = path / "state.db";
    } else {
        if (path.filename() != "state.db") {
            throw Error(
                "sqlite:" + path.string() +
                " is neither a state folder nor its state.db (the folder holds state.db and ledger.db)");
        }
        state.folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
        state.stateFile = path;
    }
    state.ledgerFile = state.folder / "ledger.db";
    for (const auto& file : {state.stateFile, state.ledgerFile}) {
        if (!std::filesystem::is_regular_file(file, ec)) {
            throw Error(file.string() +
                        " does not exist: the state folder to move (gateway.state_dir) holds "
                        "state.db and ledger.db");
        }
    }
    return state;
}

std::vector<std::pair<std::string, int>> prepareSchema(db::Database& target) {
    std::vector<std::pair<std::string, int>> versions;
    for (const db::Schema* schema :
         {&store::stateSchema(), &store::extractionRequestsSchema(), &ledger::ledgerSchema()}) {
        db::migrate(target, *schema, true);
        versions.emplace_back(schema->part, db::schemaVersion(target, schema->part));
    }
    return versions;
}

StoreMoveReport moveStore(const SqliteState& from, const db::Location& to, const ledger::KeyResolver& keys,
                          const CopyProgress& progress) {
    const auto started = std::chrono::steady_clock::now();
    StoreMoveReport report;

    // An older store is brought up to date first, so both sides have the same tables.
    auto stateDb = std::make_shared<db::Database>(db::Location::sqlite(from.stateFile));
    db::migrate(*stateDb, store::stateSchema());
    db::migrate(*stateDb, store::extractionRequestsSchema());
    auto ledgerDb = std::make_shared<db::Database>(db::Location::sqlite(from.ledgerFile));
    const ledger::Ledger sourceLedger(ledgerDb);

    holdingWriteLock(*stateDb, [&](db::Connection& state) {
        holdingWriteLock(*ledgerDb, [&](db::Connection& ledgerConnection) {
            report.before = sourceLedger.verify(keys);
            if (!report.before.intact) {
                throw LedgerError("the ledger " + ledgerDb->name() +
                                  " does not verify: " + report.before.problem +
                                  "; nothing was copied (passerelle audit verify --config FILE says more)");
            }

            auto target = std::make_shared<db::Database>(to, 2);
            const std::string targetName = target->name();
            prepareSchema(*target);
            std::string stage = "prepare the copy";
            try {
                target->transaction([&](db::Connection& pg) {
                    auto tables = planTables(state, stateDb->name(), ledgerConnection, ledgerDb->name(), pg,
                                             targetName);
                    std::string list;
                    for (const Table& t : tables) list += (list.empty() ? "" : ", ") + quoted(t.name);
                    // No other writer meanwhile: a gateway writing to the target waits for the commit.
                    pg.execute("LOCK TABLE " + list + " IN SHARE ROW EXCLUSIVE MODE");
                    requireEmpty(tables, pg, targetName);
                    pg.execute("DELETE FROM " + std::string(kTreeTable));
                    for (const Table& t : tables) {
                        stage = "copy table " + t.name + " from " + t.sourceName;
                        TableDigest digest;
                        const std::uint64_t copied = copyRows(t, pg, digest, progress);
                        compareCopy(t, pg, targetName, copied, digest);
                        report.tables.push_back({t.name, copied, continueSequences(t, pg)});
                    }
                    if (pg.integer("SELECT COUNT(*) FROM " + std::string(kTreeTable)) == 0)
                        pg.execute(kEmptyTreeRow);
                    stage = "commit the copy";
                });
            } catch (const db::DatabaseError& e) {
                throw StoreError("cannot " + stage + " into " + targetName + ": " + e.what() +
                                 "; rolled back, nothing was written");
            }

            // Committed: the target's ledger, verified on its own, must be the source's.
            const ledger::Ledger targetLedger(target);
            report.after = targetLedger.verify(keys);
            std::string differs;
            if (!report.after.intact) differs = "it does not verify: " + report.after.problem;
            if (report.after.entries != report.before.entries ||
                report.after.rootHash != report.before.rootHash ||
                report.after.checkpoints != report.before.checkpoints ||
                report.after.peerCheckpoints != report.before.peerCheckpoints) {
                differs += (differs.empty() ? "" : "; ") +
                           ("it holds " + describeLedger(report.after) + " where " + ledgerDb->name() +
                            " holds " + describeLedger(report.before));
            }
            if (!differs.empty()) {
                throw LedgerError(
                    "the copy was committed to " + targetName + " but its ledger differs from " +
                    ledgerDb->name() + ": " + differs +
                    ". Do not start a gateway on it: drop its tables, then run migrate-store again");
            }
        });
    });
    report.took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return report;
}

bool gatewayRoleExists(db::Database& target) {
    return target.withConnection([](db::Connection& connection) {
        return connection.integer("SELECT COUNT(*) FROM pg_roles WHERE rolname = ?", {db::kGatewayRole}) > 0;
    });
}

ledger::KeyResolver checkpointKeysOf(const config::GatewayConfig& config) {
    return exchange::checkpointKeyResolver(config.party, exchange::readOwnSignKeys(config.keysDir),
                                           exchange::PeerKeys::load(config));
}

}  // namespace passerelle::migration
