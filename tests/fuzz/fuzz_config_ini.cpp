// libFuzzer target for the INI reader under every configuration file (ConfigReader in
// gateway/src/config/config_reader.cpp, over Poco's IniFileConfiguration;
// docs/fuzzing.md). The input is the file. Every section and key found is read the ways
// the configuration reads them (required, optional, flag, number, path, list, leaves,
// refuseUnknown). Findings besides crashes, leaks and UB: a key listed that has() denies,
// a list item that is empty or not trimmed, a relative path not under the file's folder.
// A refusal is a ConfigError; any other exception is a finding.

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "common/errors.h"
#include "config/config_reader.h"
#include "fuzz_support.h"

using namespace passerelle;
using namespace passerelle::config;

namespace {

constexpr const char* kTarget = "fuzz_config_ini";

template <typename Read>
void refusedIsFine(Read read) {
    try {
        read();
    } catch (const ConfigError& e) {
        fuzz::explainRefusal(e.what());
    }
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

void readKey(const ConfigReader& reader, const std::string& key) {
    if (!reader.has(key)) fuzz::finding(kTarget, "a key listed by leaves() is not there");
    refusedIsFine([&] { (void)reader.required(key); });
    (void)reader.optional(key, "fallback");
    refusedIsFine([&] { (void)reader.flag(key, false); });
    refusedIsFine([&] { (void)reader.number(key, 7, 1, 1000); });
    refusedIsFine([&] {
        const auto p = reader.path(key);
        if (p.is_relative()) fuzz::finding(kTarget, "a path key did not resolve to an absolute path");
    });
    for (const std::string& item : reader.list(key)) {
        if (item.empty() || isSpace(item.front()) || isSpace(item.back())) {
            fuzz::finding(kTarget, "a list item is empty or not trimmed");
        }
    }
}

void check(std::string_view text) {
    const auto file = fuzz::scratchFolder() / "passerelle.ini";
    fuzz::writeText(file, text);
    const ConfigReader reader(file);
    for (const std::string& section : reader.children("")) {
        if (reader.has(section)) readKey(reader, section);  // a key before any [section]
        for (const std::string& leaf : reader.leaves(section)) readKey(reader, section + "." + leaf);
        refusedIsFine([&] { reader.refuseUnknown(section, {"listen", "party", "source.*", "map.*"}); });
    }
    (void)reader.has("gateway.party");
    (void)reader.children("job");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        check(std::string_view(reinterpret_cast<const char*>(data), size));
    } catch (const ConfigError& e) {
        fuzz::explainRefusal(e.what());
    }
    return 0;
}
