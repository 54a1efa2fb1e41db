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

#include <passerelle/plugin_adapter.h>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "survey_table.h"

namespace {

using passerelle::sql::SinkOptions;
using passerelle::sql::SqlFailure;
using passerelle::sql::SurveyTable;

SinkOptions parseSettings(passerelle::sdk::Settings settings) {
    SinkOptions options;
    for (const auto [key, value] : settings) {
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

SurveyTable* openSurveyTable(passerelle::sdk::Settings settings) { return new SurveyTable(parseSettings(settings)); }

}  // namespace

extern "C" PSL_EXPORT const psl_sink_v1* passerelle_sink_v1(void) {
    static const psl_sink_v1 table = passerelle::sdk::sinkTable<SurveyTable, openSurveyTable>("sink.sql");
    return &table;
}
