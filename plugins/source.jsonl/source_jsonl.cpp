// source.jsonl — reads an export in JSON Lines: one JSON object per line.
// It is the worked example of docs/plugin-guide.md, which walks through it.
//
// Settings (a job gives them as source.<setting>):
//   path      the file to read (required; the host resolves a relative path
//             against the configuration file's folder)
//   columns   the top-level member names to read, comma-separated (required);
//             they are the columns a job's map.<field> lines name
//
// Each line gives one row: a text member as its text, a number as written,
// true/false as "true"/"false", null or a missing member as an empty cell.
// Blank lines are skipped. A line that is not one JSON object, is not UTF-8,
// is longer than 1 MiB or puts an object or an array in a wanted column is a
// row error naming the line (and the column); reading goes on with the next.
//
// The filter is not applied: a file cannot be queried, and the host applies
// the exit dates itself to every record it reads.

#include <passerelle/plugin_adapter.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "json_object_line.h"
#include "line_reader.h"

namespace {

using passerelle::jsonl::LineProblem;
using passerelle::jsonl::LineReader;
using passerelle::jsonl::SourceFailure;

constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;

struct JsonlSettings {
    std::string path;
    std::vector<std::string> columns;
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::vector<std::string> columnList(std::string_view value) {
    std::vector<std::string> columns;
    for (;;) {
        const std::size_t comma = value.find(',');
        const std::string_view name = trim(value.substr(0, comma));
        if (name.empty())
            throw SourceFailure("setting 'columns' has an empty name; list names like: a, b, c");
        for (const std::string& seen : columns) {
            if (seen == name) throw SourceFailure("setting 'columns' names '" + seen + "' twice");
        }
        columns.emplace_back(name);
        if (comma == std::string_view::npos) return columns;
        value.remove_prefix(comma + 1);
    }
}

// Unknown settings are refused so that a typo is not silently ignored.
JsonlSettings parseSettings(passerelle::sdk::Settings settings) {
    JsonlSettings out;
    for (const auto [key, value] : settings) {
        if (key == "path") {
            out.path = value;
        } else if (key == "columns") {
            out.columns = columnList(value);
        } else {
            throw SourceFailure("unknown setting '" + std::string(key) +
                                "' (source.jsonl knows path, columns)");
        }
    }
    if (out.path.empty()) throw SourceFailure("setting 'path' is required: the JSON Lines file to read");
    if (out.columns.empty()) {
        throw SourceFailure(
            "setting 'columns' is required: the member names to read, e.g. id, last_name, email");
    }
    return out;
}

using passerelle::sdk::rowError;

// What a handle points to: the open file and the current row. The row's cells
// live here, so they stay valid until the next call, as the ABI promises.
class JsonlSource {
public:
    explicit JsonlSource(JsonlSettings settings)
        : lines_(settings.path, kMaxLineBytes),
          columns_(std::move(settings.columns)),
          cells_(columns_.size()) {
        for (const std::string& name : columns_) columnRefs_.push_back({name.data(), name.size()});
        cellRefs_.resize(columns_.size());
    }

    const std::vector<psl_str>& columns() const { return columnRefs_; }

    int next(psl_row& row, psl_error& err) {
        for (;;) {
            std::string_view text;
            const LineReader::Result result = lines_.next(text);
            if (result == LineReader::Result::End) return PSL_END;
            const std::uint64_t line = lines_.lineNumber();
            const auto shown = static_cast<unsigned long long>(line);
            if (result == LineReader::Result::TooLong) {
                return rowError(err, line, 0, "line %llu is longer than %zu bytes; is it one record?", shown,
                                kMaxLineBytes);
            }
            if (trim(text).empty()) continue;

            LineProblem problem;
            if (!passerelle::jsonl::parseObjectLine(text, columns_, cells_, problem)) {
                if (problem.column == 0) return rowError(err, line, 0, "line %llu: %s", shown, problem.what);
                return rowError(err, line, problem.column, "line %llu, column %zu (%s): %s", shown,
                                problem.column, columns_[problem.column - 1].c_str(), problem.what);
            }
            for (std::size_t i = 0; i < cells_.size(); ++i)
                cellRefs_[i] = {cells_[i].data(), cells_[i].size()};
            row.line = line;
            row.cells = cellRefs_.data();
            row.cell_count = cellRefs_.size();
            return PSL_OK;
        }
    }

private:
    LineReader lines_;
    std::vector<std::string> columns_;
    std::vector<psl_str> columnRefs_;
    std::vector<std::string> cells_;
    std::vector<psl_str> cellRefs_;
};

// Opens a handle. The filter is not applied: a file cannot be queried, and the
// host applies the exit dates itself to every record it reads.
JsonlSource* openJsonl(passerelle::sdk::Settings settings, const psl_source_filter* /*filter*/) {
    return new JsonlSource(parseSettings(settings));
}

}  // namespace

// The one exported symbol. sourceTable makes the four C entry points from
// JsonlSource and openJsonl: each is noexcept, turns an exception into
// PSL_FATAL with its message (an exception crossing the C ABI would terminate
// the gateway), and refuses a call without its handle.
extern "C" PSL_EXPORT const psl_source_v1* passerelle_source_v1(void) {
    static const psl_source_v1 table = passerelle::sdk::sourceTable<JsonlSource, openJsonl>("source.jsonl");
    return &table;
}
