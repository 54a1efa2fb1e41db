// libFuzzer target for the DPO console's form and query decoding, which reads the login
// form before any authentication (decodeForm in gateway/src/console/console_http.cpp,
// compiled in; docs/fuzzing.md). The input is the x-www-form-urlencoded text.
// Accepted: no name is empty, and the pairs, percent-encoded here independently and
// decoded again, come back the same. A refusal is a ConsoleError (400); any other
// exception is a finding: the console would answer 500 to a client's typo.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "audit/audit_views.h"
#include "console/console_http.h"
#include "fuzz_support.h"

using namespace passerelle;
using namespace passerelle::console;

// console_http.cpp's reply builders call this (gateway/src/audit/audit_views.cpp,
// which would drag the ledger and the database into the target); decodeForm never does.
std::string passerelle::exchange::toJsonText(const Poco::JSON::Object::Ptr&) {
    fuzz::finding("fuzz_console_form", "toJsonText called: the target only covers decodeForm");
}

namespace {

constexpr const char* kTarget = "fuzz_console_form";

std::string percentEncoded(const std::string& text) {
    std::string out;
    for (const unsigned char c : text) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%02X", c);
            out += hex;
        }
    }
    return out;
}

void check(const std::string& text) {
    const std::map<std::string, std::string> form = decodeForm(text);
    std::string encoded;
    for (const auto& [name, value] : form) {
        if (name.empty()) fuzz::finding(kTarget, "a pair with an empty name was kept");
        if (!encoded.empty()) encoded += '&';
        encoded += percentEncoded(name) + "=" + percentEncoded(value);
    }
    if (decodeForm(encoded) != form) fuzz::finding(kTarget, "decoded pairs, encoded again, decode differently");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        check(std::string(reinterpret_cast<const char*>(data), size));
    } catch (const ConsoleError& e) {
        if (e.status() != Status::HTTP_BAD_REQUEST) fuzz::finding(kTarget, "a malformed form is not a 400");
        fuzz::explainRefusal(e.what());
    }
    return 0;
}
