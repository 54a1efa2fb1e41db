#pragma once
// The one piece of JSON a JSON Lines export needs (RFC 8259, https://jsonlines.org):
// a line holding one object. The members the job asks for must hold a text, a
// number, true, false or null; every other member is checked and skipped,
// whatever it holds, so it never reaches the gateway.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::jsonl {

// Why a line was refused: what is wrong, never a value (the line may hold
// personal data). column is the 1-based position of the wanted column whose
// value is at fault, or 0 when the fault is not in one column's value.
struct LineProblem {
    std::size_t column = 0;
    const char* what = "";
};

// Reads the object on `line` and sets cells[i] (cells.size() == columns.size())
// to the value of its member named columns[i]: a text decoded to UTF-8, a number
// as written, "true" or "false", and "" for null or a missing member. Returns
// false and fills `problem` when the line is not valid UTF-8, not one JSON
// object, or gives a wanted column twice or a value that is not one of those.
bool parseObjectLine(std::string_view line, const std::vector<std::string>& columns,
                     std::vector<std::string>& cells, LineProblem& problem);

}  // namespace passerelle::jsonl
