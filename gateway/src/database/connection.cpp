#include "database/connection.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Nullable.h>

#include <charconv>
#include <deque>
#include <limits>

#include "database/database.h"

using namespace Poco::Data::Keywords;

namespace passerelle::db {
namespace {

using IntegerColumn = std::vector<Poco::Nullable<Poco::Int64>>;
using TextColumn = std::vector<Poco::Nullable<std::string>>;
using BytesColumn = std::vector<Poco::Nullable<Poco::Data::BLOB>>;
using Column = std::variant<IntegerColumn, TextColumn, BytesColumn>;

std::int64_t checkedInteger(unsigned long long v) {
    if (v > static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max())) {
        throw std::out_of_range("a database integer holds at most 2^63-1, not " + std::to_string(v));
    }
    return static_cast<std::int64_t>(v);
}

const char* typeName(ColumnType type) {
    switch (type) {
        case ColumnType::Integer: return "an integer";
        case ColumnType::Text: return "text";
        case ColumnType::Bytes: return "bytes";
    }
    return "?";
}

bool emptyBytes(const Value& v) {
    const auto* bytes = std::get_if<Bytes>(&v.held());
    return bytes != nullptr && bytes->empty();
}

// Binds `params` to `statement`. Poco binds by reference: integers and text are bound
// where `params` holds them, bytes through `blobs`, which the caller keeps alive
// until the statement has run.
void bindAll(Poco::Data::Statement& statement, const Values& params, const std::vector<std::size_t>& bound,
             std::deque<Poco::Data::BLOB>& blobs) {
    for (std::size_t index : bound) {
        const Value& param = params[index];
        std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::monostate>) {
                    statement.addBind(use(Poco::Data::Keywords::null));
                } else if constexpr (std::is_same_v<T, Bytes>) {
                    blobs.emplace_back(v.data(), v.size());
                    statement.addBind(useRef(blobs.back()));
                } else {
                    statement.addBind(useRef(v));
                }
            },
            param.held());
    }
}

// A Poco error as a DatabaseError, its message described once.
template <typename Fn>
auto translated(Fn&& fn) {
    try {
        return fn();
    } catch (const Poco::Exception& e) {
        throw DatabaseError(describe(e));
    }
}

}  // namespace

PreparedText prepareText(std::string_view text, const Values& params, Engine engine) {
    const bool postgres = engine == Engine::PostgreSQL;
    PreparedText out;
    out.sql.reserve(text.size() + 16);
    std::size_t index = 0;
    char quote = 0;
    for (char c : text) {
        if (quote != 0) {
            if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '?') {
            if (index < params.size() && emptyBytes(params[index])) {
                out.sql += postgres ? "'\\x'::bytea" : "X''";
            } else {
                out.bound.push_back(index);
                out.sql += postgres ? "$" + std::to_string(out.bound.size()) : "?";
            }
            ++index;
            continue;
        }
        out.sql += c;
    }
    if (index < params.size()) {
        throw std::logic_error("the statement has " + std::to_string(index) + " parameters, not " +
                               std::to_string(params.size()));
    }
    return out;
}

Value::Value(unsigned long v) : held_(checkedInteger(v)) {}
Value::Value(unsigned long long v) : held_(checkedInteger(v)) {}

// --- Rows

struct Rows::Cells {
    std::vector<Column> columns;
};

Rows::Rows() : cells_(std::make_unique<Cells>()) {}

Rows::Rows(std::vector<ColumnType> types, bool integersAsText)
    : types_(std::move(types)), cells_(std::make_unique<Cells>()) {
    for (ColumnType type : types_) {
        switch (type) {
            case ColumnType::Integer:
                if (integersAsText) {
                    cells_->columns.emplace_back(TextColumn{});
                } else {
                    cells_->columns.emplace_back(IntegerColumn{});
                }
                break;
            case ColumnType::Text: cells_->columns.emplace_back(TextColumn{}); break;
            case ColumnType::Bytes: cells_->columns.emplace_back(BytesColumn{}); break;
        }
    }
}

Rows::~Rows() = default;
Rows::Rows(Rows&&) noexcept = default;
Rows& Rows::operator=(Rows&&) noexcept = default;

std::size_t Rows::size() const {
    if (cells_->columns.empty()) return 0;
    return std::visit([](const auto& column) { return column.size(); }, cells_->columns.front());
}

void Rows::check(std::size_t row, std::size_t column, ColumnType wanted) const {
    if (column >= types_.size()) {
        throw std::logic_error("the query reads " + std::to_string(types_.size()) + " columns, not column " +
                               std::to_string(column));
    }
    if (types_[column] != wanted) {
        throw std::logic_error("column " + std::to_string(column) + " was read as " + typeName(types_[column]) +
                               ", not " + typeName(wanted));
    }
    if (row >= size()) {
        throw std::logic_error("the query returned " + std::to_string(size()) + " rows, not row " +
                               std::to_string(row));
    }
}

bool Rows::isNull(std::size_t row, std::size_t column) const {
    if (column >= types_.size()) check(row, column, ColumnType::Integer);
    check(row, column, types_[column]);
    return std::visit([&](const auto& cells) { return cells[row].isNull(); }, cells_->columns[column]);
}

std::int64_t Rows::integer(std::size_t row, std::size_t column) const {
    check(row, column, ColumnType::Integer);
    if (const auto* integers = std::get_if<IntegerColumn>(&cells_->columns[column])) {
        const auto& cell = (*integers)[row];
        return cell.isNull() ? 0 : cell.value();
    }
    const auto& cell = std::get<TextColumn>(cells_->columns[column])[row];
    if (cell.isNull()) return 0;
    const std::string& text = cell.value();
    if (text == "t" || text == "f") return text == "t" ? 1 : 0;  // a PostgreSQL boolean
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        throw DatabaseError("column " + std::to_string(column) + " holds " + std::to_string(text.size()) +
                            " characters that are not an integer");
    }
    return value;
}

const std::string& Rows::text(std::size_t row, std::size_t column) const {
    static const std::string kEmpty;
    check(row, column, ColumnType::Text);
    const auto& cell = std::get<TextColumn>(cells_->columns[column])[row];
    return cell.isNull() ? kEmpty : cell.value();
}

std::span<const std::uint8_t> Rows::bytes(std::size_t row, std::size_t column) const {
    check(row, column, ColumnType::Bytes);
    const auto& cell = std::get<BytesColumn>(cells_->columns[column])[row];
    if (cell.isNull() || cell.value().size() == 0) return {};
    return {cell.value().rawContent(), cell.value().size()};
}

std::string_view Rows::bytesAsText(std::size_t row, std::size_t column) const {
    const auto b = bytes(row, column);
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::optional<std::int64_t> Rows::optionalInteger(std::size_t row, std::size_t column) const {
    if (isNull(row, column)) return std::nullopt;
    return integer(row, column);
}

std::optional<std::string> Rows::optionalText(std::size_t row, std::size_t column) const {
    if (isNull(row, column)) return std::nullopt;
    return text(row, column);
}

Value Rows::value(std::size_t row, std::size_t column) const {
    if (isNull(row, column)) return Value();
    switch (types_[column]) {
        case ColumnType::Integer: return Value(integer(row, column));
        case ColumnType::Text: return Value(text(row, column));
        case ColumnType::Bytes: return Value::bytes(bytes(row, column));
    }
    return Value();
}

// --- Connection

Connection::Connection(Poco::Data::Session& session, Engine engine) : session_(session), engine_(engine) {}

std::size_t Connection::execute(std::string_view text, const Values& params) {
    return translated([&] {
        Poco::Data::Statement statement(session_);
        const PreparedText prepared = prepareText(text, params, engine_);
        statement << prepared.sql;
        std::deque<Poco::Data::BLOB> blobs;
        bindAll(statement, params, prepared.bound, blobs);
        return statement.execute();
    });
}

Rows Connection::query(std::string_view text, std::initializer_list<ColumnType> columns, const Values& params) {
    return query(text, std::vector<ColumnType>(columns), params);
}

Rows Connection::query(std::string_view text, std::vector<ColumnType> columns, const Values& params) {
    Rows rows(std::move(columns), postgres());
    translated([&] {
        Poco::Data::Statement statement(session_);
        const PreparedText prepared = prepareText(text, params, engine_);
        statement << prepared.sql;
        std::deque<Poco::Data::BLOB> blobs;
        bindAll(statement, params, prepared.bound, blobs);
        for (Column& column : rows.cells_->columns) {
            std::visit([&](auto& cells) { statement.addExtract(into(cells)); }, column);
        }
        statement.execute();
    });
    return rows;
}

std::int64_t Connection::integer(std::string_view text, const Values& params, std::int64_t otherwise) {
    const Rows rows = query(text, {ColumnType::Integer}, params);
    return rows.empty() || rows.isNull(0, 0) ? otherwise : rows.integer(0, 0);
}

std::optional<std::string> Connection::text(std::string_view text, const Values& params) {
    const Rows rows = query(text, {ColumnType::Text}, params);
    return rows.empty() ? std::nullopt : rows.optionalText(0, 0);
}

void Connection::forEachChunk(std::string_view text, std::vector<ColumnType> columns, const Values& params,
                              std::size_t chunkRows, const std::function<void(const Rows&)>& each) {
    Rows rows(std::move(columns), postgres());
    Poco::Data::Statement statement(session_);
    std::deque<Poco::Data::BLOB> blobs;
    translated([&] {
        const PreparedText prepared = prepareText(text, params, engine_);
        statement << prepared.sql;
        bindAll(statement, params, prepared.bound, blobs);
        for (Column& column : rows.cells_->columns) {
            std::visit([&](auto& cells) { statement.addExtract(into(cells)); }, column);
        }
        statement, limit(static_cast<Poco::UInt32>(std::max<std::size_t>(chunkRows, 1)));
    });
    while (true) {
        // Poco appends each chunk to the columns: emptied first, so only this chunk is held.
        for (Column& column : rows.cells_->columns) std::visit([](auto& cells) { cells.clear(); }, column);
        const bool more = translated([&] {
            if (statement.done()) return false;
            statement.execute();
            return true;
        });
        if (!more || rows.empty()) return;
        each(rows);
    }
}

void Connection::lockForTransaction(std::string_view name) {
    if (!postgres()) return;
    integer("SELECT CAST(1 AS BIGINT) FROM pg_advisory_xact_lock(?)", {Database::lockKey(name)});
}

}  // namespace passerelle::db
