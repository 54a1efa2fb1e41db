#pragma once
// CSV written for people who open it in a spreadsheet (DPO exports, the record
// of processing): RFC 4180 quoting, and formula injection neutralised.

#include <string>
#include <string_view>

namespace passerelle {

// One cell: a value a spreadsheet would run as a formula (starting with '=',
// '+', '-', '@', tab or CR) gets a leading "'"; a value holding a comma, quote
// or line break is quoted, its quotes doubled.
std::string csvCell(std::string_view value);

}  // namespace passerelle
