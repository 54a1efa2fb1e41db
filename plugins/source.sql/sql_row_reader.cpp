#include "sql_row_reader.h"

#include <Poco/Data/RecordSet.h>

#include <cstdio>

namespace passerelle::sql {

namespace {

using namespace Poco::Data::Keywords;

constexpr std::size_t kChunkRows = 1000;
constexpr const char* kCursor = "passerelle_source_rows";

std::string filterValue(const psl_source_filter* filter, const std::string& name) {
    if (filter == nullptr) return {};
    const char* value = name == "exit_from" ? filter->exit_from
                        : name == "exit_to" ? filter->exit_to
                                            : filter->since;
    return value != nullptr ? value : "";
}

}  // namespace

SqlRowReader::SqlRowReader(const SourceOptions& options, const psl_source_filter* filter)
    : options_(options),
      db_(options.connection, /*readOnly=*/true),
      bound_(bindNamedParameters(options.query, options.connection.connector, options.querySetting)) {
    for (const std::string& name : bound_.names) {
        const std::string value = filterValue(filter, name);
        parameters_.push_back(value.empty() ? Poco::Nullable<std::string>()
                                            : Poco::Nullable<std::string>(value));
    }
    readColumnNames();
    startRows();
    fetchChunk();
}

SqlRowReader::~SqlRowReader() {
    rows_.reset();
    if (!inTransaction_) return;
    try {
        db_.session().rollback();  // the transaction only held the cursor
    } catch (const std::exception&) {
        // Closing the session right after ends the transaction on the server anyway.
    }
}

void SqlRowReader::bindFilter(Poco::Data::Statement& statement) {
    for (auto& parameter : parameters_) statement, use(parameter);
}

// The result's columns, from the same query wrapped to return no row.
void SqlRowReader::readColumnNames() {
    try {
        Poco::Data::Statement probe(db_.session());
        probe << "SELECT * FROM (" + bound_.sql + "\n) AS passerelle_columns LIMIT 0";
        bindFilter(probe);
        probe.execute();
        Poco::Data::RecordSet result(probe);
        for (std::size_t i = 0; i < result.columnCount(); ++i) columnText_.push_back(result.columnName(i));
    } catch (const std::exception& e) {
        throw db_.failure("the query (setting '" + options_.querySetting + "')", e,
                          "Check the query's SQL and that this gateway's role may read the tables it names");
    }
    if (columnText_.empty()) throw SqlFailure(db_.place() + ": the query returns no column; give a SELECT");
    for (const std::string& name : columnText_) columnNames_.push_back({name.data(), name.size()});
    chunk_.resize(columnText_.size());
    cells_.resize(columnText_.size());
}

void SqlRowReader::startRows() {
    try {
        if (db_.connector() == Connector::Postgresql) {
            // libpq holds a whole result in memory: a cursor hands it over in chunks.
            db_.session().begin();
            inTransaction_ = true;
            Poco::Data::Statement declare(db_.session());
            declare << "DECLARE " + std::string(kCursor) + " NO SCROLL CURSOR FOR " + bound_.sql;
            bindFilter(declare);
            declare.execute();
        } else {
            rows_ = std::make_unique<Poco::Data::Statement>(db_.session());
            *rows_ << bound_.sql;
            bindFilter(*rows_);
            *rows_, limit(kChunkRows);
            for (Cells& column : chunk_) *rows_, into(column);
        }
    } catch (const std::exception& e) {
        throw db_.failure("running the query (setting '" + options_.querySetting + "')", e,
                          "Check the query's SQL and that this gateway's role may read the tables it names");
    }
}

void SqlRowReader::fetchChunk() {
    for (Cells& column : chunk_) column.clear();
    chunkPos_ = 0;
    chunkRows_ = 0;
    if (lastChunk_) return;
    try {
        if (db_.connector() == Connector::Postgresql) {
            // A statement per FETCH: Poco 1.11's PostgreSQL statement frees its last
            // result twice when an execution fails after one that succeeded.
            rows_ = std::make_unique<Poco::Data::Statement>(db_.session());
            *rows_ << "FETCH FORWARD " + std::to_string(kChunkRows) + " FROM " + kCursor;
            for (Cells& column : chunk_) *rows_, into(column);
        }
        rows_->execute();
    } catch (const std::exception& e) {
        throw db_.failure("reading row " + std::to_string(rowNumber_ + 1) + " of the query", e,
                          "Check the query's SQL and the database's log");
    }
    chunkRows_ = chunk_.front().size();
    // SQLite's statement says when it is done; a cursor is done when a FETCH comes back short.
    lastChunk_ = db_.connector() == Connector::Sqlite ? rows_->done() : chunkRows_ < kChunkRows;
}

int SqlRowReader::next(psl_row& row, psl_error& err) {
    try {
        if (chunkPos_ == chunkRows_) fetchChunk();
        if (chunkRows_ == 0) return PSL_END;
    } catch (const SqlFailure& e) {
        std::snprintf(err.message, sizeof err.message, "%s", e.what());
        err.line = rowNumber_ + 1;
        err.column = 0;
        return PSL_FATAL;
    }
    for (std::size_t c = 0; c < chunk_.size(); ++c) {
        const Poco::Nullable<std::string>& value = chunk_[c][chunkPos_];
        cells_[c] = value.isNull() ? psl_str{"", 0} : psl_str{value.value().data(), value.value().size()};
    }
    ++chunkPos_;
    row.line = ++rowNumber_;
    row.cells = cells_.data();
    row.cell_count = cells_.size();
    return PSL_OK;
}

}  // namespace passerelle::sql
