#pragma once
// Runs the configured SELECT and hands its rows out one at a time, every value
// as text. Rows are fetched in chunks — SQLite steps its statement, PostgreSQL
// reads a server-side cursor — so memory does not grow with the result.

#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <passerelle/plugin.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "query_parameters.h"
#include "sql_connection.h"

namespace passerelle::sql {

struct SourceOptions {
    ConnectionSettings connection;
    std::string query;
    std::string querySetting = "query";  // the setting the query came from, for messages
};

class SqlRowReader {
public:
    SqlRowReader(const SourceOptions& options, const psl_source_filter* filter);
    ~SqlRowReader();
    SqlRowReader(const SqlRowReader&) = delete;
    SqlRowReader& operator=(const SqlRowReader&) = delete;

    const std::vector<psl_str>& columns() const { return columnNames_; }

    // PSL_OK with the next row, PSL_END, or PSL_FATAL with err filled.
    int next(psl_row& row, psl_error& err);

private:
    using Cells = std::vector<Poco::Nullable<std::string>>;

    void bindFilter(Poco::Data::Statement& statement);
    void readColumnNames();
    void startRows();
    void fetchChunk();

    SourceOptions options_;
    Database db_;
    BoundQuery bound_;
    Cells parameters_;  // bound by reference, in bound_.names order; null when the filter value is empty
    std::vector<std::string> columnText_;
    std::vector<psl_str> columnNames_;
    std::vector<Cells> chunk_;  // chunk_[column][row]
    std::unique_ptr<Poco::Data::Statement> rows_;
    bool inTransaction_ = false;
    bool lastChunk_ = false;
    std::size_t chunkRows_ = 0;
    std::size_t chunkPos_ = 0;
    std::uint64_t rowNumber_ = 0;
    std::vector<psl_str> cells_;
};

}  // namespace passerelle::sql
