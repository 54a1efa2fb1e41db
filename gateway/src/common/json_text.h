#pragma once
// The pieces of canonical JSON that signed and hashed documents (manifests,
// ledger entries) share: one spelling for every string.

#include <string>
#include <string_view>

namespace passerelle {

// Well-formed UTF-8 only: no overlong forms, no surrogates, nothing above U+10FFFF.
bool isValidUtf8(std::string_view s);

// Appends s as a JSON string: quotes, backslash and control characters escaped
// (short forms where JSON has them, \u00XX otherwise); other bytes as they are.
void appendJsonString(std::string& out, std::string_view s);

}  // namespace passerelle
