// libFuzzer target for the JSON Lines source (plugins/source.jsonl: line_reader.cpp and
// json_object_line.cpp, compiled in; docs/fuzzing.md). The first byte sets the options:
// bits 0-2 the most bytes one read() may return (unlimited, 1, 2, 3, 5, 8, 16, 64), bits
// 3-4 the line limit (1 MiB as the plugin has, 16, 64, 256 bytes), bits 5-7 the wanted
// columns; the rest is the file.
// Findings besides crashes, leaks and UB: LineReader's lines differ from the file split
// here independently (on "\n", one "\r" dropped before it, a BOM dropped on line 1, an
// over-long line reported as such), whatever the read sizes; an accepted line gives
// other than one cell per column, a cell that is not valid UTF-8, or comes from a line
// that is not valid UTF-8; a refusal names a column that does not exist or no reason.

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "json_object_line.h"
#include "line_reader.h"

using namespace passerelle::jsonl;
namespace fuzz = passerelle::fuzz;

namespace {

constexpr const char* kTarget = "fuzz_jsonl";

// 0: no limit. Only set while the harness drives a LineReader.
std::size_t gReadLimit = 0;

}  // namespace

// The link wraps read(): line_reader.cpp's calls land here (-Wl,--wrap=read).
extern "C" ssize_t __real_read(int fd, void* buf, std::size_t n);
extern "C" ssize_t __wrap_read(int fd, void* buf, std::size_t n) {
    if (gReadLimit != 0 && n > gReadLimit) n = gReadLimit;
    return __real_read(fd, buf, n);
}

namespace {

struct Expected {
    bool tooLong = false;
    std::string line;
};

// The file's lines as the plugin's documentation describes them.
std::vector<Expected> splitLines(std::string_view file, std::size_t maxLineBytes) {
    std::vector<Expected> out;
    while (!file.empty()) {
        const std::size_t newline = file.find('\n');
        std::string_view raw = file.substr(0, newline);
        file = newline == std::string_view::npos ? std::string_view{} : file.substr(newline + 1);
        Expected e;
        if (raw.size() > maxLineBytes) {
            e.tooLong = true;
        } else {
            if (raw.ends_with('\r')) raw.remove_suffix(1);
            if (out.empty() && raw.starts_with("\xEF\xBB\xBF")) raw.remove_prefix(3);
            e.line = std::string(raw);
        }
        out.push_back(std::move(e));
    }
    return out;
}

const std::vector<std::vector<std::string>>& columnSets() {
    static const std::vector<std::vector<std::string>> sets = {
        {"nom"},
        {"nom", "prenom", "date_sortie"},
        {"a", "b"},
        {"ine", "nom", "prenom", "date_naissance", "formation", "date_sortie"},
        {"\xC3\xA9tablissement"},
        {"x", "y", "z", "w"},
        {"value"},
        {"a\\b", "\"q\""},
    };
    return sets;
}

void checkLine(std::string_view line, const std::vector<std::string>& columns) {
    std::vector<std::string> cells(columns.size());
    LineProblem problem;
    if (!parseObjectLine(line, columns, cells, problem)) {
        if (problem.column > columns.size() || problem.what == nullptr || *problem.what == '\0') {
            fuzz::finding(kTarget, "a refused line names no reason or a column that does not exist");
        }
        return;
    }
    if (cells.size() != columns.size()) fuzz::finding(kTarget, "an accepted line does not give one cell per column");
    if (!fuzz::isValidUtf8(line)) fuzz::finding(kTarget, "accepted a line that is not valid UTF-8");
    for (const std::string& cell : cells) {
        if (!fuzz::isValidUtf8(cell)) fuzz::finding(kTarget, "a cell is not valid UTF-8");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static constexpr std::size_t kReadLimits[] = {0, 1, 2, 3, 5, 8, 16, 64};
    static constexpr std::size_t kLineLimits[] = {std::size_t{1} << 20, 16, 64, 256};
    const std::size_t readLimit = kReadLimits[data[0] & 7];
    const std::size_t lineLimit = kLineLimits[(data[0] >> 3) & 3];
    const auto& columns = columnSets()[(data[0] >> 5) & 7];
    const std::string_view file(reinterpret_cast<const char*>(data + 1), size - 1);

    const auto path = fuzz::scratchFolder() / "export.jsonl";
    fuzz::writeText(path, file);
    const std::vector<Expected> expected = splitLines(file, lineLimit);

    gReadLimit = readLimit;
    try {
        LineReader reader(path.string(), lineLimit);
        std::string_view line;
        std::size_t n = 0;
        for (LineReader::Result r; (r = reader.next(line)) != LineReader::Result::End; ++n) {
            if (n >= expected.size() || reader.lineNumber() != n + 1) {
                fuzz::finding(kTarget, "LineReader gives more lines than the file has, or misnumbers them");
            }
            if ((r == LineReader::Result::TooLong) != expected[n].tooLong ||
                (r == LineReader::Result::Line && line != expected[n].line)) {
                fuzz::finding(kTarget, "LineReader's line differs from the file's");
            }
            if (r == LineReader::Result::Line && !line.empty()) checkLine(line, columns);
        }
        if (n != expected.size()) fuzz::finding(kTarget, "LineReader stopped before the end of the file");
    } catch (const SourceFailure&) {
        fuzz::finding(kTarget, "LineReader could not read a plain file");
    }
    gReadLimit = 0;
    return 0;
}
