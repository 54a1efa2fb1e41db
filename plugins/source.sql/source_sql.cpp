// source.sql — reads the rows of a SELECT on SQLite or PostgreSQL (see sql_row_reader.h).
//
// Settings:
//   connector        sqlite | postgresql (required)
//   database         sqlite: the file (opened read-only); postgresql: a libpq conninfo
//                    without password, e.g. host=db.example.org dbname=pegase user=passerelle_ro
//   password_file    postgresql: a file (0600) holding the password (optional)
//   query            one SELECT; its columns are the source's columns
//   query_file       or a file holding it
//   timeout_seconds  connection timeout (default 10)
//
// The filter is bound, never spliced: the query may say :exit_from, :exit_to and
// :since, each NULL when the host gives no value. Every value comes out as text,
// NULL as empty. docs/plugins/source-sql.md has examples.

#include <passerelle/plugin_adapter.h>

#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "sql_row_reader.h"

namespace {

using passerelle::sql::SourceOptions;
using passerelle::sql::SqlFailure;
using passerelle::sql::SqlRowReader;

std::string readQueryFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw SqlFailure("setting 'query_file': cannot read '" + path +
                         "'; give the file holding the SELECT");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

SourceOptions parseSettings(passerelle::sdk::Settings settings) {
    SourceOptions options;
    bool haveQuery = false;
    bool haveQueryFile = false;
    for (const auto [key, value] : settings) {
        if (passerelle::sql::readConnectionSetting(options.connection, key, value)) continue;
        if (key == "query") {
            options.query = value;
            haveQuery = true;
        } else if (key == "query_file") {
            if (value.empty())
                throw SqlFailure("setting 'query_file' is empty; give the file holding the SELECT");
            options.query = readQueryFile(std::string(value));
            options.querySetting = "query_file";
            haveQueryFile = true;
        } else {
            throw SqlFailure("unknown setting '" + std::string(key) +
                             "' (source.sql knows connector, database, password_file, query, query_file, "
                             "timeout_seconds)");
        }
    }
    passerelle::sql::checkConnectionSettings(options.connection);
    if (haveQuery && haveQueryFile)
        throw SqlFailure("settings 'query' and 'query_file' both given; keep one");
    if (!haveQuery && !haveQueryFile)
        throw SqlFailure("setting 'query' (or 'query_file') is required: the SELECT to run");
    return options;
}

SqlRowReader* openSql(passerelle::sdk::Settings settings, const psl_source_filter* filter) {
    return new SqlRowReader(parseSettings(settings), filter);
}

}  // namespace

extern "C" PSL_EXPORT const psl_source_v1* passerelle_source_v1(void) {
    static const psl_source_v1 table = passerelle::sdk::sourceTable<SqlRowReader, openSql>("source.sql");
    return &table;
}
