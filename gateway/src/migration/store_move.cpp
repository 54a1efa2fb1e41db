#include "migration/store_move.h"

#include "privacy/key_folder.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/Range.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/MD5Engine.h>
#include <Poco/Nullable.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <variant>

#include "common/encoding.h"
#include "common/errors.h"
#include "database/migrations.h"
#include "party/peer_keys.h"
#include "store/extraction_requests.h"
#include "store/state_store.h"

using namespace Poco::Data::Keywords;
using Poco::Data::Session;

namespace passerelle::migration {
namespace {

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

enum class ColumnType { Integer, Text, Bytes };

struct Column {
    std::string name;
    ColumnType type = ColumnType::Text;
    bool identity = false;  // GENERATED ALWAYS AS IDENTITY in the target
};

struct Table {
    std::string name;
    Session* source = nullptr;     // the session of the SQLite file holding it
    std::string sourceName;        // that file, for messages
    std::vector<Column> columns;   // the target's, in its order
    std::vector<std::string> key;  // the source's primary key: rows are read in its order
    std::uint64_t sourceRows = 0;

    bool hasIdentity() const {
        return std::any_of(columns.begin(), columns.end(), [](const Column& c) { return c.identity; });
    }
    std::string columnList() const {
        std::string list;
        for (const Column& c : columns) list += (list.empty() ? "" : ", ") + quoted(c.name);
        return list;
    }
};

using IntegerValues = std::vector<Poco::Nullable<Poco::Int64>>;
using TextValues = std::vector<Poco::Nullable<std::string>>;
using ByteValues = std::vector<Poco::Nullable<Poco::Data::BLOB>>;
using ColumnValues = std::variant<IntegerValues, TextValues, ByteValues>;

std::size_t rowsIn(const std::vector<ColumnValues>& columns) {
    return columns.empty() ? 0
                           : std::visit([](const auto& values) { return values.size(); }, columns.front());
}

std::string canonical(Poco::Int64 value) { return std::to_string(value); }
std::string canonical(const std::string& value) { return value; }
std::string canonical(const Poco::Data::BLOB& value) {
    return toHex(std::span<const std::uint8_t>(value.rawContent(), value.size()));
}

// An order-independent digest of a table's rows: the sum, modulo 2^64, of 60 bits of
// MD5 over each row's values. PostgreSQL computes the same over the copy (digestQuery),
// so the content is compared without reading it back. MD5 is enough here: it catches a
// copy gone wrong, not an adversary (the ledger has its own signed checks).
class TableDigest {
public:
    void add(const std::vector<ColumnValues>& columns, std::size_t row) {
        std::string text;
        for (const ColumnValues& column : columns) {
            std::visit(
                [&](const auto& values) {
                    const auto& value = values[row];
                    if (value.isNull()) {
                        text += 'N';
                        return;
                    }
                    const std::string v = canonical(value.value());
                    text += 'V' + std::to_string(v.size()) + ':' + v;
                },
                column);
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

std::vector<std::string> sqliteTables(Session& session) {
    std::vector<std::string> names;
    session << "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"
               " AND name <> 'schema_migrations' ORDER BY name",
        into(names), now;
    return names;
}

Poco::Int64 countRows(Session& session, const std::string& table) {
    Poco::Int64 rows = 0;
    session << "SELECT COUNT(*) FROM " + quoted(table), into(rows), now;
    return rows;
}

// The table as both databases have it: the target's columns (which must be the
// source's), the source's primary key and row count.
Table planTable(const std::string& name, Session& source, const std::string& sourceName, Session& target,
                const std::string& targetName) {
    Table table{name, &source, sourceName, {}, {}, 0};
    std::vector<std::string> sourceColumns;
    std::vector<Poco::Int64> keyPositions;
    std::string n = name;
    source << "SELECT name, pk FROM pragma_table_info(?)", use(n), into(sourceColumns), into(keyPositions),
        now;
    std::vector<std::pair<Poco::Int64, std::string>> key;
    for (std::size_t i = 0; i < sourceColumns.size(); ++i) {
        if (keyPositions[i] > 0) key.emplace_back(keyPositions[i], sourceColumns[i]);
    }
    std::sort(key.begin(), key.end());
    for (const auto& [position, column] : key) table.key.push_back(column);

    std::vector<std::string> names, types, identities;
    target << "SELECT column_name::text, data_type::text, is_identity::text FROM information_schema.columns"
              " WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        use(n), into(names), into(types), into(identities), now;
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

std::vector<ColumnValues> buffersFor(const Table& table) {
    std::vector<ColumnValues> buffers;
    buffers.reserve(table.columns.size());
    for (const Column& c : table.columns) {
        switch (c.type) {
            case ColumnType::Integer:
                buffers.emplace_back(IntegerValues{});
                break;
            case ColumnType::Text:
                buffers.emplace_back(TextValues{});
                break;
            case ColumnType::Bytes:
                buffers.emplace_back(ByteValues{});
                break;
        }
    }
    return buffers;
}

// One multi-row INSERT of rows [from, to) of the buffers, values bound as they are.
void insertRows(const Table& table, Session& target, std::vector<ColumnValues>& buffers, std::size_t from,
                std::size_t to) {
    std::string sql = "INSERT INTO " + quoted(table.name) + " (" + table.columnList() + ")" +
                      (table.hasIdentity() ? " OVERRIDING SYSTEM VALUE" : "") + " VALUES ";
    std::size_t parameter = 0;
    for (std::size_t row = from; row < to; ++row) {
        sql += row == from ? "(" : ", (";
        for (std::size_t c = 0; c < buffers.size(); ++c)
            sql += (c == 0 ? "$" : ", $") + std::to_string(++parameter);
        sql += ")";
    }
    Poco::Data::Statement insert(target);
    insert << sql;
    for (std::size_t row = from; row < to; ++row) {
        for (ColumnValues& column : buffers) {
            std::visit([&](auto& values) { insert.addBind(use(values[row])); }, column);
        }
    }
    insert.execute();
}

// Copies the table in chunks; returns the rows copied and adds each to `digest`.
std::uint64_t copyRows(const Table& table, Session& target, TableDigest& digest,
                       const CopyProgress& progress) {
    std::vector<ColumnValues> buffers = buffersFor(table);
    std::string sql = "SELECT " + table.columnList() + " FROM " + quoted(table.name);
    for (std::size_t i = 0; i < table.key.size(); ++i)
        sql += (i == 0 ? " ORDER BY " : ", ") + quoted(table.key[i]);
    Poco::Data::Statement select(*table.source);
    select << sql;
    for (ColumnValues& column : buffers) {
        std::visit([&](auto& values) { select.addExtract(into(values)); }, column);
    }
    select, limit(static_cast<Poco::UInt32>(kChunkRows));
    const std::size_t perInsert =
        std::max<std::size_t>(1, std::min(kChunkRows, kMaxParameters / buffers.size()));
    std::uint64_t copied = 0;
    while (!select.done()) {
        // Poco appends each chunk to the vectors: emptied first, so only this chunk is held.
        for (ColumnValues& column : buffers) std::visit([](auto& values) { values.clear(); }, column);
        select.execute();
        const std::size_t rows = rowsIn(buffers);
        if (rows == 0) break;
        for (std::size_t row = 0; row < rows; ++row) digest.add(buffers, row);
        for (std::size_t from = 0; from < rows; from += perInsert) {
            insertRows(table, target, buffers, from, std::min(rows, from + perInsert));
        }
        copied += rows;
        if (progress) progress(table.name, copied, table.sourceRows);
    }
    return copied;
}

// Identity columns (the checkpoints' seq) continue after the copied values.
std::string continueSequences(const Table& table, Session& target) {
    std::string note;
    for (const Column& c : table.columns) {
        if (!c.identity) continue;
        std::vector<Poco::Int64> set;
        std::string tableName = quoted(table.name), column = c.name;
        target << "SELECT setval(pg_get_serial_sequence($1, $2), MAX(" + quoted(c.name) + ")) FROM " +
                      quoted(table.name) + " HAVING MAX(" + quoted(c.name) + ") IS NOT NULL",
            use(tableName), use(column), into(set), now;
        if (!set.empty()) note = "sequence of " + c.name + " continues after " + std::to_string(set.front());
    }
    return note;
}

// --- the move

struct SourceFile {
    std::shared_ptr<db::Database> db;
    Session* session = nullptr;
};

// Runs fn(session) holding the file's write lock (BEGIN IMMEDIATE), so no gateway
// process writes to it meanwhile; a busy file is said to be so.
template <typename Fn>
void holdingWriteLock(db::Database& db, Fn&& fn) {
    bool held = false;
    try {
        db.transaction([&](Session& session) {
            held = true;
            fn(session);
        });
    } catch (const Poco::Exception& e) {
        if (held) throw;
        throw StoreError(
            "cannot lock " + db.name() + " for the move: " + db::describe(e) +
            "; stop the gateway (passerelle run) and every command using this state folder, then run "
            "migrate-store again");
    }
}

std::string describeLedger(const ledger::Ledger::Verification& v) {
    return std::to_string(v.entries) + " entries, root " + v.rootHash + ", " + std::to_string(v.checkpoints) +
           " checkpoint(s), " + std::to_string(v.peerCheckpoints) + " counterpart checkpoint(s)";
}

// The tables of both files, in copy order, planned against the target.
std::vector<Table> planTables(Session& state, const std::string& stateName, Session& ledgerSession,
                              const std::string& ledgerName, Session& target, const std::string& targetName) {
    std::map<std::string, std::pair<Session*, std::string>> sources;
    for (const std::string& t : sqliteTables(state)) sources[t] = {&state, stateName};
    for (const std::string& t : sqliteTables(ledgerSession)) sources[t] = {&ledgerSession, ledgerName};
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
void requireEmpty(const std::vector<Table>& tables, Session& target, const std::string& targetName) {
    std::string held;
    for (const Table& t : tables) {
        Poco::Int64 rows = 0;
        target << "SELECT COUNT(*) FROM " + quoted(t.name) + (t.name == kTreeTable ? " WHERE size <> 0" : ""),
            into(rows), now;
        if (rows > 0)
            held += (held.empty() ? "" : ", ") +
                    ("table " + t.name + " holds " + std::to_string(rows) + " row(s)");
    }
    if (!held.empty()) {
        throw StoreError(targetName + " is not empty: " + held +
                         "; migrate-store moves a state into an empty database only. Nothing was written");
    }
}

void compareCopy(const Table& table, Session& target, const std::string& targetName, std::uint64_t copied,
                 const TableDigest& digest) {
    Poco::Int64 rows = 0;
    std::string sum;
    target << digestQuery(table), into(rows), into(sum), now;
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

    holdingWriteLock(*stateDb, [&](Session& state) {
        holdingWriteLock(*ledgerDb, [&](Session& ledgerSession) {
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
                target->transaction([&](Session& pg) {
                    auto tables =
                        planTables(state, stateDb->name(), ledgerSession, ledgerDb->name(), pg, targetName);
                    std::string list;
                    for (const Table& t : tables) list += (list.empty() ? "" : ", ") + quoted(t.name);
                    // No other writer meanwhile: a gateway writing to the target waits for the commit.
                    pg << "LOCK TABLE " + list + " IN SHARE ROW EXCLUSIVE MODE", now;
                    requireEmpty(tables, pg, targetName);
                    pg << "DELETE FROM " + std::string(kTreeTable), now;
                    for (const Table& t : tables) {
                        stage = "copy table " + t.name + " from " + t.sourceName;
                        TableDigest digest;
                        const std::uint64_t copied = copyRows(t, pg, digest, progress);
                        compareCopy(t, pg, targetName, copied, digest);
                        report.tables.push_back({t.name, copied, continueSequences(t, pg)});
                    }
                    Poco::Int64 treeRows = 0;
                    pg << "SELECT COUNT(*) FROM " + std::string(kTreeTable), into(treeRows), now;
                    if (treeRows == 0) pg << kEmptyTreeRow, now;
                    stage = "commit the copy";
                });
            } catch (const Poco::Exception& e) {
                throw StoreError("cannot " + stage + " into " + targetName + ": " + db::describe(e) +
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
    return target.withSession([](Poco::Data::Session& session) {
        Poco::Int64 found = 0;
        std::string role = db::kGatewayRole;
        session << "SELECT COUNT(*) FROM pg_roles WHERE rolname = $1", use(role), into(found), now;
        return found > 0;
    });
}

ledger::KeyResolver checkpointKeysOf(const config::GatewayConfig& config) {
    return exchange::checkpointKeyResolver(config.party, exchange::readOwnSignKeys(config.keysDir),
                                           exchange::PeerKeys::load(config));
}

}  // namespace passerelle::migration
