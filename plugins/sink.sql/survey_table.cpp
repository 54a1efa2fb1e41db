#include "survey_table.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>

namespace passerelle::sql {

namespace {

using namespace Poco::Data::Keywords;

// Columns the sink adds to every row, after the batch's own fields.
constexpr std::array<const char*, 4> kBatchColumns = {"institution", "purpose", "batch_id", "received_at"};
constexpr const char* kKey = "\"pseudonym\", \"institution\", \"purpose\"";

std::string utcNow() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

SurveyTable::SurveyTable(SinkOptions options)
    : options_(std::move(options)), db_(options_.connection, false) {}

SurveyTable::~SurveyTable() { abort(); }

std::vector<std::string> SurveyTable::existingColumns() {
    std::vector<std::string> columns;
    std::string table = options_.table;
    Poco::Data::Statement select(db_.session());
    if (db_.connector() == Connector::Sqlite) {
        select << "SELECT name FROM pragma_table_info(?)", use(table), into(columns);
    } else {
        select << "SELECT column_name FROM information_schema.columns "
                  "WHERE table_schema = current_schema() AND table_name = $1",
            use(table), into(columns);
    }
    select.execute();
    return columns;
}

void SurveyTable::prepareColumns(const std::vector<std::string>& columns) {
    const std::vector<std::string> existing = existingColumns();
    const std::string table = quoted(options_.table);
    if (existing.empty()) {
        if (!options_.createTable) {
            throw SqlFailure(
                db_.place() + ": table '" + options_.table +
                "' does not exist; create it (docs/plugins/sink-sql.md) or set create_table = true");
        }
        std::string ddl = "CREATE TABLE IF NOT EXISTS " + table + " (";
        for (const std::string& c : columns) ddl += quoted(c) + " TEXT, ";
        ddl += "PRIMARY KEY (" + std::string(kKey) + "))";
        db_.session() << ddl, now;
        return;
    }
    for (const std::string& c : columns) {
        if (contains(existing, c)) continue;
        if (!options_.createTable) {
            throw SqlFailure(db_.place() + ": table '" + options_.table + "' has no column '" + c +
                             "' for this batch; add it (TEXT) or set create_table = true");
        }
        // A field the purpose gained since the table was made.
        db_.session() << "ALTER TABLE " + table + " ADD COLUMN " +
                             (db_.connector() == Connector::Postgresql ? "IF NOT EXISTS " : "") + quoted(c) +
                             " TEXT",
            now;
    }
}

void SurveyTable::prepareUpsert(const std::vector<std::string>& columns) {
    std::string names;
    std::string placeholders;
    std::string updates;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        const std::string c = quoted(columns[i]);
        names += (i ? ", " : "") + c;
        placeholders += (i ? ", " : "") + placeholder(db_.connector(), i + 1);
        if (columns[i] == "pseudonym" || columns[i] == "institution" || columns[i] == "purpose") continue;
        if (!updates.empty()) updates += ", ";
        if (columns[i] == "received_at") {
            // A redelivered batch keeps the time of its first delivery.
            const std::string t = quoted(options_.table);
            updates += c + " = CASE WHEN " + t + ".\"batch_id\" = excluded.\"batch_id\" THEN " + t + "." + c +
                       " ELSE excluded." + c + " END";
        } else {
            updates += c + " = excluded." + c;
        }
    }
    upsertSql_ = "INSERT INTO " + quoted(options_.table) + " (" + names + ") VALUES (" + placeholders +
                 ") ON CONFLICT (" + kKey + ") DO UPDATE SET " + updates;
    upsert_.reset();
}

void SurveyTable::executeUpsert() {
    // Poco 1.11's PostgreSQL statement frees its last result twice when an execution
    // fails after one that succeeded, so there each record gets a statement of its own.
    if (upsert_ && db_.connector() == Connector::Postgresql) upsert_.reset();
    if (!upsert_) {
        upsert_ = std::make_unique<Poco::Data::Statement>(db_.session());
        *upsert_ << upsertSql_;
        for (auto& value : values_) *upsert_, use(value);
    }
    upsert_->execute();
}

void SurveyTable::begin(const psl_batch_info& info) {
    if (active_)
        throw SqlFailure("begin_batch called while batch " + batchId_ + " is open; commit or abort it first");
    batchId_ = info.batch_id != nullptr ? info.batch_id : "";
    std::vector<std::string> columns;
    for (std::size_t i = 0; i < info.field_count; ++i) {
        const std::string field(info.fields[i].data, info.fields[i].size);
        if (!isPlainIdentifier(field)) {
            throw SqlFailure("batch " + batchId_ + ": field " + std::to_string(i + 1) +
                             " is not a plain SQL name ([a-z_][a-z0-9_]*); sink.sql cannot make it a column");
        }
        if (std::find(kBatchColumns.begin(), kBatchColumns.end(), field) != kBatchColumns.end() ||
            contains(columns, field)) {
            throw SqlFailure("batch " + batchId_ + ": field '" + field +
                             "' clashes with a column sink.sql fills itself or appears twice");
        }
        columns.push_back(field);
    }
    const auto pseudonym = std::find(columns.begin(), columns.end(), "pseudonym");
    if (pseudonym == columns.end()) {
        throw SqlFailure("batch " + batchId_ + " (purpose " + (info.purpose ? info.purpose : "?") +
                         ") has no 'pseudonym' field, which keys table '" + options_.table +
                         "'; add pseudonym to the purpose's fields or use another sink");
    }
    pseudonymIndex_ = static_cast<std::size_t>(pseudonym - columns.begin());
    fieldCount_ = columns.size();
    columns.insert(columns.end(), kBatchColumns.begin(), kBatchColumns.end());

    values_.assign(columns.size(), Poco::Nullable<std::string>());
    values_[fieldCount_] = std::string(info.sender != nullptr ? info.sender : "");
    values_[fieldCount_ + 1] = std::string(info.purpose != nullptr ? info.purpose : "");
    values_[fieldCount_ + 2] = batchId_;
    values_[fieldCount_ + 3] = utcNow();
    announced_ = info.record_count;
    written_ = 0;

    try {
        db_.session().begin();
        active_ = true;
        prepareColumns(columns);
        prepareUpsert(columns);
    } catch (const SqlFailure&) {
        abort();
        throw;
    } catch (const std::exception& e) {
        abort();
        throw db_.failure(
            "preparing table '" + options_.table + "' for batch " + batchId_, e,
            "Check that this gateway's role may create and alter the table, or create it yourself");
    }
}

void SurveyTable::write(const psl_str* values, std::size_t count) {
    if (!active_) throw SqlFailure("write_record called without an open batch");
    const std::string where = "record " + std::to_string(written_ + 1) + " of batch " + batchId_;
    if (count != fieldCount_) {
        throw SqlFailure(where + " has " + std::to_string(count) + " values for " +
                         std::to_string(fieldCount_) + " fields");
    }
    if (values[pseudonymIndex_].size == 0)
        throw SqlFailure(where + " has an empty pseudonym; it cannot be keyed");
    for (std::size_t i = 0; i < count; ++i) {
        // Empty is stored as NULL, as source.sql reads NULL as empty.
        if (values[i].size == 0) {
            values_[i].clear();
        } else {
            values_[i] = std::string(values[i].data, values[i].size);
        }
    }
    try {
        executeUpsert();
    } catch (const std::exception& e) {
        throw db_.failure("writing " + where + " to table '" + options_.table + "'", e,
                          "Check the table's columns and constraints (docs/plugins/sink-sql.md)");
    }
    ++written_;
}

void SurveyTable::commit() {
    if (!active_) throw SqlFailure("commit_batch called without an open batch");
    if (announced_ != 0 && announced_ != written_) {
        throw SqlFailure("batch " + batchId_ + " announced " + std::to_string(announced_) + " records but " +
                         std::to_string(written_) + " were written; abort it");
    }
    try {
        upsert_.reset();
        db_.session().commit();
        active_ = false;
    } catch (const std::exception& e) {
        throw db_.failure("committing batch " + batchId_ + " to table '" + options_.table + "'", e,
                          "The batch stays with the gateway, which retries it");
    }
}

void SurveyTable::abort() noexcept {
    upsert_.reset();
    if (!active_) return;
    active_ = false;
    try {
        db_.session().rollback();
    } catch (const std::exception&) {
        // Nothing was committed; closing the session ends the transaction on the server.
    }
}

}  // namespace passerelle::sql
