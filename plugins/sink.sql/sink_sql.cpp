// sink.sql — upserts each received batch into a SQLite or PostgreSQL table (see survey_table.h).
//
// Settings:
//   connector        sqlite | postgresql (required)
//   database         sqlite: the file (created if missing); postgresql: a libpq conninfo
//                    without password
//   password_file    postgresql: a file (0600) holding the password (optional)
//   table            the table (default survey_participants): [a-z_][a-z0-9_]*
//   create_table     true (default): create the table and add new fields' columns;
//                    false: the table must exist with every column
//   timeout_seconds  connection timeout (default 10)
//
// docs/plugins/sink-sql.md describes the table and what each error means.

#include <passerelle/plugin.h>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "survey_table.h"

namespace {

using passerelle::sql::SinkOptions;
using passerelle::sql::SqlFailure;
using passerelle::sql::SurveyTable;

void setError(psl_error* err, const char* message) {
    if (err == nullptr) return;
    std::snprintf(err->message, sizeof err->message, "%s", message);
    err->line = 0;
    err->column = 0;
}

SinkOptions parseSettings(const psl_setting* settings, std::size_t count) {
    SinkOptions options;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string_view key = settings[i].key ? settings[i].key : "";
        const std::string_view value = settings[i].value ? settings[i].value : "";
        if (passerelle::sql::readConnectionSetting(options.connection, key, value)) continue;
        if (key == "table") {
            if (!passerelle::sql::isPlainIdentifier(value)) {
                throw SqlFailure(
                    "setting 'table' must be a plain SQL name: lower-case letters, digits and _, "
                    "not starting with a digit, at most 63 characters");
            }
            options.table = value;
        } else if (key == "create_table") {
            if (value == "true" || value == "yes" || value == "1") {
                options.createTable = true;
            } else if (value == "false" || value == "no" || value == "0") {
                options.createTable = false;
            } else {
                throw SqlFailure("setting 'create_table' must be true or false");
            }
        } else {
            throw SqlFailure("unknown setting '" + std::string(key) +
                             "' (sink.sql knows connector, database, password_file, table, create_table, "
                             "timeout_seconds)");
        }
    }
    passerelle::sql::checkConnectionSettings(options.connection);
    return options;
}

// Every entry point catches everything: no exception may cross the C ABI.
template <typename Body>
int guarded(psl_error* err, Body&& body) noexcept {
    try {
        body();
        return PSL_OK;
    } catch (const std::exception& e) {
        setError(err, e.what());
    } catch (...) {
        setError(err, "unexpected internal error");
    }
    return PSL_FATAL;
}

void* openSink(const psl_setting* settings, std::size_t count, psl_error* err) noexcept {
    SurveyTable* sink = nullptr;
    guarded(err, [&] {
        if (settings == nullptr && count != 0) throw SqlFailure("settings missing");
        sink = new SurveyTable(parseSettings(settings, count));
    });
    return sink;
}

int beginBatch(void* handle, const psl_batch_info* info, psl_error* err) noexcept {
    return guarded(err, [&] {
        if (handle == nullptr || info == nullptr)
            throw SqlFailure("begin_batch called without a handle or batch");
        static_cast<SurveyTable*>(handle)->begin(*info);
    });
}

int writeRecord(void* handle, const psl_str* values, std::size_t count, psl_error* err) noexcept {
    return guarded(err, [&] {
        if (handle == nullptr || (values == nullptr && count != 0)) {
            throw SqlFailure("write_record called without a handle or values");
        }
        static_cast<SurveyTable*>(handle)->write(values, count);
    });
}

int commitBatch(void* handle, psl_error* err) noexcept {
    return guarded(err, [&] {
        if (handle == nullptr) throw SqlFailure("commit_batch called without a handle");
        static_cast<SurveyTable*>(handle)->commit();
    });
}

void abortBatch(void* handle) noexcept {
    if (handle != nullptr) static_cast<SurveyTable*>(handle)->abort();
}

void closeSink(void* handle) noexcept { delete static_cast<SurveyTable*>(handle); }

const psl_sink_v1 kSinkSql = {
    PASSERELLE_PLUGIN_ABI_VERSION,
    "sink.sql",
    openSink,
    beginBatch,
    writeRecord,
    commitBatch,
    abortBatch,
    closeSink,
};

}  // namespace

extern "C" PSL_EXPORT const psl_sink_v1* passerelle_sink_v1(void) { return &kSinkSql; }
