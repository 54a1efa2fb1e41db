#pragma once
// Statements on one connection of a Database (docs/architecture.md): the only way the
// store, the ledger and the migration talk to SQL. Poco::Data stays behind this
// header: parameters are Values, results are typed Rows, and every engine error
// becomes a DatabaseError whose message is already fit to show (said once, any
// conninfo password masked).
//
//   conn.execute("UPDATE outbox SET status = ? WHERE batch_id = ?", {"sent", id});
//   Rows rows = conn.query("SELECT idx, entry FROM ledger_entries WHERE idx > ?",
//                          {ColumnType::Integer, ColumnType::Bytes}, {after});
//   for (std::size_t r = 0; r < rows.size(); ++r) use(rows.integer(r, 0), rows.bytes(r, 1));
//
// SQL is written once with `?` placeholders; on PostgreSQL they are numbered $1, $2…
// outside quoted text. A column's type is the caller's to say, as both engines
// convert to it; NULL reads as 0, "" or no bytes unless asked with isNull().

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace Poco::Data {
class Session;
}

namespace passerelle::db {

enum class Engine { SQLite, PostgreSQL };

// A statement failed, or the database could not be reached. what() is the engine's
// message, described (db::describe): callers prefix what they were doing.
class DatabaseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

using Bytes = std::vector<std::uint8_t>;

// A statement parameter: NULL, an integer, text, or bytes (BLOB / bytea).
class Value {
public:
    Value() = default;  // NULL
    Value(std::nullptr_t) {}
    Value(int v) : held_(std::int64_t{v}) {}
    Value(long v) : held_(std::int64_t{v}) {}
    Value(long long v) : held_(static_cast<std::int64_t>(v)) {}
    Value(unsigned v) : held_(std::int64_t{v}) {}
    // Throws std::out_of_range above INT64_MAX: no column holds more.
    Value(unsigned long v);
    Value(unsigned long long v);
    Value(std::string v) : held_(std::move(v)) {}
    Value(std::string_view v) : held_(std::string(v)) {}
    Value(const char* v) : held_(std::string(v)) {}
    template <typename T>
    Value(const std::optional<T>& v) : Value(v ? Value(*v) : Value()) {}

    static Value bytes(std::span<const std::uint8_t> v) { return Value(Bytes(v.begin(), v.end())); }
    static Value bytes(std::string_view v) { return Value(Bytes(v.begin(), v.end())); }

    using Held = std::variant<std::monostate, std::int64_t, std::string, Bytes>;
    const Held& held() const { return held_; }
    bool isNull() const { return std::holds_alternative<std::monostate>(held_); }

private:
    explicit Value(Bytes v) : held_(std::move(v)) {}
    Held held_;
};

using Values = std::vector<Value>;

enum class ColumnType { Integer, Text, Bytes };

// A statement as the engine takes it: each `?` outside quoted text ('…', "…") is a
// parameter, numbered $1, $2… on PostgreSQL; a parameter of empty bytes is written as a
// literal instead (Poco would bind it as NULL). `bound`: the indices of the
// parameters left to bind, in order. Throws std::logic_error when `params` has more
// values than the text has parameters.
struct PreparedText {
    std::string sql;
    std::vector<std::size_t> bound;
};
PreparedText prepareText(std::string_view text, const Values& params, Engine engine);

// A query's result: rows × the columns asked for, in the types asked for.
// Reading a column as another type than asked is a programming error
// (std::logic_error naming the column).
class Rows {
public:
    Rows();
    // `integersAsText`: integer columns are read as their decimal text and parsed, as
    // Poco's PostgreSQL connector rounds some 64-bit values through a double.
    explicit Rows(std::vector<ColumnType> types, bool integersAsText = false);
    ~Rows();
    Rows(Rows&&) noexcept;
    Rows& operator=(Rows&&) noexcept;

    std::size_t size() const;
    bool empty() const { return size() == 0; }
    std::size_t columns() const { return types_.size(); }

    // Also true for an empty bytea on PostgreSQL, which Poco's connector reads as NULL:
    // where the two differ, ask in SQL (`b IS NULL`). Empty bytes are written as such.
    bool isNull(std::size_t row, std::size_t column) const;
    std::int64_t integer(std::size_t row, std::size_t column) const;       // NULL: 0
    const std::string& text(std::size_t row, std::size_t column) const;    // NULL: ""
    std::span<const std::uint8_t> bytes(std::size_t row, std::size_t column) const;  // NULL: empty
    std::string_view bytesAsText(std::size_t row, std::size_t column) const;
    std::optional<std::int64_t> optionalInteger(std::size_t row, std::size_t column) const;
    std::optional<std::string> optionalText(std::size_t row, std::size_t column) const;
    // The cell as a parameter: what copies a row from one database to another.
    Value value(std::size_t row, std::size_t column) const;

private:
    friend class Connection;
    struct Cells;
    void check(std::size_t row, std::size_t column, ColumnType wanted) const;

    std::vector<ColumnType> types_;
    std::unique_ptr<Cells> cells_;
};

// One connection, lent by Database::withConnection or Database::transaction to the
// function it runs; used by that thread only, for that call only.
class Connection {
public:
    Connection(Poco::Data::Session& session, Engine engine);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    Engine engine() const { return engine_; }
    bool postgres() const { return engine_ == Engine::PostgreSQL; }

    // Runs a statement that returns no rows; returns the rows it changed.
    std::size_t execute(std::string_view sql, const Values& params = {});
    // Runs a query and returns all its rows, each column read as `columns` says.
    Rows query(std::string_view sql, std::initializer_list<ColumnType> columns, const Values& params = {});
    Rows query(std::string_view sql, std::vector<ColumnType> columns, const Values& params = {});
    // The first row's first column as an integer (COUNT, MAX, an id); `otherwise`
    // when there is no row or it is NULL.
    std::int64_t integer(std::string_view sql, const Values& params = {}, std::int64_t otherwise = 0);
    // The first row's first column as text; nullopt when there is no row or it is NULL.
    std::optional<std::string> text(std::string_view sql, const Values& params = {});
    // Reads the query's rows `chunkRows` at a time, calling `each` with every chunk
    // (never empty), so a table of any size is read in bounded memory.
    void forEachChunk(std::string_view sql, std::vector<ColumnType> columns, const Values& params,
                      std::size_t chunkRows, const std::function<void(const Rows&)>& each);

    // PostgreSQL only: an advisory lock, keyed by `name`, held until the current
    // transaction ends (pg_advisory_xact_lock). A no-op on SQLite, whose BEGIN
    // IMMEDIATE already excludes every other writer.
    void lockForTransaction(std::string_view name);


private:
    Poco::Data::Session& session_;
    Engine engine_;
};

}  // namespace passerelle::db
