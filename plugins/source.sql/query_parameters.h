#pragma once
// The query's named placeholders (:exit_from, :exit_to, :since) rewritten into
// the connector's numbered ones, so every filter value is bound, never spliced
// into the SQL text.

#include <string>
#include <string_view>
#include <vector>

#include "sql_connection.h"

namespace passerelle::sql {

struct BoundQuery {
    std::string sql;                 // one statement, no trailing ';', numbered placeholders
    std::vector<std::string> names;  // names[i] is bound to placeholder i + 1
};

// Skips string literals, quoted identifiers, dollar-quoted strings, comments
// and '::' casts. Throws SqlFailure naming `setting` for an unknown
// placeholder, a positional one (?, $1) or more than one statement.
BoundQuery bindNamedParameters(std::string_view query, Connector connector, std::string_view setting);

}  // namespace passerelle::sql
