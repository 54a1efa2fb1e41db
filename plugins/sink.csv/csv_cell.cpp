#include "csv_cell.h"

#include <algorithm>

namespace passerelle::csv {

namespace {

bool needsQuotes(std::string_view value, char delimiter) {
    return std::any_of(value.begin(), value.end(),
                       [delimiter](char c) { return c == delimiter || c == '"' || c == '\n' || c == '\r'; });
}

}  // namespace

// Every cell that starts like a formula, phone numbers in E.164 (+33…) included:
// a spreadsheet takes "+33612345678" for the formula =+33612345678, and one rule
// without exceptions is the one a reviewer can check.
bool looksLikeFormula(std::string_view value) {
    if (value.empty()) return false;
    const char c = value.front();
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

void appendCsvCell(std::string& out, std::string_view value, char delimiter) {
    const bool formula = looksLikeFormula(value);
    if (!needsQuotes(value, delimiter)) {
        if (formula) out.push_back('\'');
        out.append(value);
        return;
    }
    // The ' goes inside the quotes: it must be the cell's first character once unquoted.
    out.push_back('"');
    if (formula) out.push_back('\'');
    for (const char c : value) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
}

}  // namespace passerelle::csv
