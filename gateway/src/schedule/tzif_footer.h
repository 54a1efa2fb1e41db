#pragma once
// The POSIX TZ rule at the end of a TZif file (RFC 8536): version 2 and later
// files end with "\n<rule>\n", the rule for every instant after the file's
// explicit transitions.

#include <filesystem>
#include <optional>
#include <string>

namespace passerelle::schedule {

// The footer's rule, or nullopt for a version 1 file (which has none) or an
// empty footer. Throws ConfigError naming the file when it cannot be read, is
// not TZif, is truncated, or its footer is not framed by newlines.
std::optional<std::string> readTzifFooter(const std::filesystem::path& file);

}  // namespace passerelle::schedule
