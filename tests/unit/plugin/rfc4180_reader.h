#pragma once
// Reads a CSV file back the way a spreadsheet opens it (RFC 4180: quoted
// fields, doubled quotes, line breaks inside quotes, CRLF records, a leading
// UTF-8 BOM dropped). Independent of the plugins' own code, and strict: a
// malformed file fails the test instead of being read leniently.

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::plugin::test {

using CsvTable = std::vector<std::vector<std::string>>;

inline CsvTable readRfc4180(std::string_view text, char delimiter = ',') {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    CsvTable table;
    std::vector<std::string> record;
    std::string cell;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == '"') {
            for (++i;; ++i) {
                if (i >= text.size()) throw std::runtime_error("RFC 4180: unterminated quoted field");
                if (text[i] == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') {
                        cell.push_back('"');
                        ++i;
                        continue;
                    }
                    ++i;
                    break;
                }
                cell.push_back(text[i]);
            }
        } else {
            while (i < text.size() && text[i] != delimiter && text[i] != '\r' && text[i] != '\n') {
                if (text[i] == '"') throw std::runtime_error("RFC 4180: quote inside an unquoted field");
                cell.push_back(text[i++]);
            }
        }
        record.push_back(std::move(cell));
        cell.clear();
        if (i == text.size()) break;
        if (text[i] == delimiter) {
            ++i;
            continue;
        }
        if (text.substr(i, 2) != "\r\n") throw std::runtime_error("RFC 4180: records end with CRLF");
        i += 2;
        table.push_back(std::move(record));
        record.clear();
    }
    if (!record.empty()) table.push_back(std::move(record));
    return table;
}

// True when a spreadsheet would run the cell as a formula.
inline bool startsLikeAFormula(std::string_view cell) {
    return !cell.empty() && std::string_view("=+-@\t\r").find(cell.front()) != std::string_view::npos;
}

}  // namespace passerelle::plugin::test
