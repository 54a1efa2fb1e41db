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

#include <passerelle/plugin.h>

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

void setError(psl_error* err, const char* message) {
    if (err == nullptr) return;
    std::snprintf(err->message, sizeof err->message, "%s", message);
    err->line = 0;
    err->column = 0;
}

std::string readQueryFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw SqlFailure("setting 'query_file': cannot read '" + path +
                         "'; give the file holding the SELECT");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

SourceOptions parseSettings(const psl_setting* settings, std::size_t count) {
    SourceOptions options;
    bool haveQuery = false;
    bool haveQueryFile = false;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string_view key = settings[i].key ? settings[i].key : "";
        const std::string_view value = settings[i].value ? settings[i].value : "";
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

void* openSource(const psl_setting* settings, std::size_t count, const psl_source_filter* filter,
                 psl_error* err) noexcept {
    try {
        if (settings == nullptr && count != 0) throw SqlFailure("settings missing");
        return new SqlRowReader(parseSettings(settings, count), filter);
    } catch (const std::exception& e) {
        setError(err, e.what());
    } catch (...) {
        setError(err, "unexpected internal error while opening");
    }
    return nullptr;
}

int sourceColumns(void* handle, const psl_str** names, std::size_t* count, psl_error* err) noexcept {
    if (handle == nullptr || names == nullptr || count == nullptr) {
        setError(err, "columns called without a handle");
        return PSL_FATAL;
    }
    const auto& columns = static_cast<SqlRowReader*>(handle)->columns();
    *names = columns.data();
    *count = columns.size();
    return PSL_OK;
}

int sourceNextRow(void* handle, psl_row* row, psl_error* err) noexcept {
    if (handle == nullptr || row == nullptr || err == nullptr) {
        setError(err, "next_row called without a handle, row or error");
        return PSL_FATAL;
    }
    try {
        return static_cast<SqlRowReader*>(handle)->next(*row, *err);
    } catch (const std::exception& e) {
        setError(err, e.what());
    } catch (...) {
        setError(err, "unexpected internal error while reading");
    }
    return PSL_FATAL;
}

void closeSource(void* handle) noexcept { delete static_cast<SqlRowReader*>(handle); }

const psl_source_v1 kSourceSql = {
    PASSERELLE_PLUGIN_ABI_VERSION, "source.sql", openSource, sourceColumns, sourceNextRow, closeSource,
};

}  // namespace

extern "C" PSL_EXPORT const psl_source_v1* passerelle_source_v1(void) { return &kSourceSql; }
