#pragma once
// The pieces of canonical JSON that signed and hashed documents (manifests,
// ledger entries, receipts, extraction requests) share: one spelling for every
// string, one compact form for a whole object.

#include <Poco/JSON/Object.h>

#include <string>
#include <string_view>

namespace passerelle {

// Well-formed UTF-8 only: no overlong forms, no surrogates, nothing above U+10FFFF.
bool isValidUtf8(std::string_view s);

// Appends s as a JSON string: quotes, backslash and control characters escaped
// (short forms where JSON has them, \u00XX otherwise); other bytes as they are.
void appendJsonString(std::string& out, std::string_view s);

// Appends "name": (the member's name as a JSON string, then the colon).
void appendJsonMemberName(std::string& out, std::string_view name);

// The object as Poco writes it with no indentation: no whitespace, members in
// the object's order. Receipts and extraction requests are signed in this form,
// so its bytes must never change.
std::string compactJson(const Poco::JSON::Object& object);

}  // namespace passerelle
