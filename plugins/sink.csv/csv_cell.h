#pragma once
// One cell of a file that people open in a spreadsheet: RFC 4180 quoting, and
// formula injection neutralised (OWASP "CSV injection"): a cell that starts
// with =, +, -, @, a tab or a carriage return would run as a formula, so a
// leading ' makes it text.

#include <string>
#include <string_view>

namespace passerelle::csv {

// True when a spreadsheet would take value for a formula.
bool looksLikeFormula(std::string_view value);

// Appends value to out as one cell: neutralised, then quoted when it holds the
// delimiter, a double quote or a line break.
void appendCsvCell(std::string& out, std::string_view value, char delimiter);

}  // namespace passerelle::csv
