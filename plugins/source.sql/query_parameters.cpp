#include "query_parameters.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace passerelle::sql {

namespace {

constexpr std::array<std::string_view, 3> kKnownNames = {"exit_from", "exit_to", "since"};

bool isNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Index just past the literal opened at `i` by `quote`, a doubled quote escaping itself.
std::size_t skipQuoted(std::string_view q, std::size_t i, char quote, bool backslashEscapes) {
    for (++i; i < q.size(); ++i) {
        if (backslashEscapes && q[i] == '\\') {
            ++i;
        } else if (q[i] == quote) {
            if (i + 1 < q.size() && q[i + 1] == quote) {
                ++i;
            } else {
                return i + 1;
            }
        }
    }
    return q.size();
}

}  // namespace

BoundQuery bindNamedParameters(std::string_view query, Connector connector, std::string_view setting) {
    const std::string where = "setting '" + std::string(setting) + "'";
    // A trailing ';' is harmless; the query is wrapped in a cursor or a sub-select.
    while (!query.empty() && (std::isspace(static_cast<unsigned char>(query.back())) || query.back() == ';'))
        query.remove_suffix(1);
    if (query.empty()) throw SqlFailure(where + " is empty; give a SELECT");

    BoundQuery out;
    std::size_t i = 0;
    while (i < query.size()) {
        const char c = query[i];
        const char next = i + 1 < query.size() ? query[i + 1] : '\0';
        std::size_t end = i + 1;
        if (c == '\'') {
            const bool escapeString =
                i > 0 && (query[i - 1] == 'E' || query[i - 1] == 'e') && connector == Connector::Postgresql;
            end = skipQuoted(query, i, '\'', escapeString);
        } else if (c == '"' || (c == '`' && connector == Connector::Sqlite)) {
            end = skipQuoted(query, i, c, false);
        } else if (c == '-' && next == '-') {
            end = std::min(query.find('\n', i), query.size());
        } else if (c == '/' && next == '*') {
            const auto close = query.find("*/", i + 2);
            end = close == std::string_view::npos ? query.size() : close + 2;
        } else if (c == ':' && next == ':') {
            end = i + 2;
        } else if (c == ':' && isNameStart(next)) {
            end = i + 1;
            while (end < query.size() && isNameChar(query[end])) ++end;
            const std::string name(query.substr(i + 1, end - i - 1));
            if (std::find(kKnownNames.begin(), kKnownNames.end(), name) == kKnownNames.end()) {
                throw SqlFailure(where + ": unknown placeholder ':" + name +
                                 "'; the query may use :exit_from, :exit_to and :since only");
            }
            auto known = std::find(out.names.begin(), out.names.end(), name);
            if (known == out.names.end()) known = out.names.insert(out.names.end(), name);
            out.sql += placeholder(connector, static_cast<std::size_t>(known - out.names.begin()) + 1);
            i = end;
            continue;
        } else if (c == '$' && connector == Connector::Postgresql) {
            if (std::isdigit(static_cast<unsigned char>(next))) {
                throw SqlFailure(where + ": positional placeholder '$" + std::string(1, next) +
                                 "...'; use the named placeholders :exit_from, :exit_to or :since");
            }
            // $tag$ ... $tag$ quoting: tag is empty or an identifier.
            std::size_t tagEnd = i + 1;
            while (tagEnd < query.size() && isNameChar(query[tagEnd])) ++tagEnd;
            if (tagEnd < query.size() && query[tagEnd] == '$' && (tagEnd == i + 1 || isNameStart(next))) {
                const std::string_view tag = query.substr(i, tagEnd - i + 1);
                const auto close = query.find(tag, tagEnd + 1);
                end = close == std::string_view::npos ? query.size() : close + tag.size();
            }
        } else if (connector == Connector::Sqlite &&
                   (c == '?' || ((c == '$' || c == '@') && isNameStart(next)))) {
            throw SqlFailure(where + ": placeholder '" + std::string(1, c) +
                             "' is not supported; use the named placeholders :exit_from, :exit_to or :since");
        } else if (c == ';') {
            throw SqlFailure(where + " holds more than one statement; give a single SELECT");
        }
        out.sql.append(query.substr(i, end - i));
        i = end;
    }
    return out;
}

}  // namespace passerelle::sql
