#pragma once
// Europe/Paris, the zone every schedule of the gateway is written in. Its rule
// comes from the system's tz database when there is one (the footer of
// /usr/share/zoneinfo/Europe/Paris, so a change voted by the EU arrives with a
// tzdata update), else from the rule built in below. The rule holds from 1996,
// when Paris took the current EU dates; earlier instants are not supported.

#include <chrono>
#include <filesystem>
#include <string_view>

#include "schedule/time_zone_rule.h"

namespace passerelle::schedule {

inline constexpr std::string_view kParisZoneFile = "/usr/share/zoneinfo/Europe/Paris";
inline constexpr std::string_view kParisBuiltinRule = "CET-1CEST,M3.5.0,M10.5.0/3";

// The rule in `tzif`'s footer; `fallbackRule` when the file does not exist,
// is version 1 or has an empty footer. Throws ConfigError naming the file when
// it exists but cannot be read or its footer is malformed or unsupported.
TimeZoneRule loadTimeZoneRule(const std::filesystem::path& tzif, std::string_view fallbackRule);

// Europe/Paris from kParisZoneFile, loaded on first use (thread-safe). Throws
// ConfigError as loadTimeZoneRule does, on every call until the file is fixed.
const TimeZoneRule& parisTimeZone();

LocalTime toParis(std::chrono::sys_seconds t);
// When a Paris wall time happens: once, twice (October) or never (March).
WallTimeInstants fromParis(std::chrono::local_seconds wall);

}  // namespace passerelle::schedule
