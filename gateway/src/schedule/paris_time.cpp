#include "schedule/paris_time.h"

#include <optional>
#include <string>

#include "common/errors.h"
#include "schedule/tzif_footer.h"

namespace passerelle::schedule {

TimeZoneRule loadTimeZoneRule(const std::filesystem::path& tzif, std::string_view fallbackRule) {
    std::error_code ec;
    if (!std::filesystem::exists(tzif, ec)) return TimeZoneRule::parse(fallbackRule);
    const std::optional<std::string> footer = readTzifFooter(tzif);
    if (!footer) return TimeZoneRule::parse(fallbackRule);
    try {
        return TimeZoneRule::parse(*footer);
    } catch (const ConfigError& e) {
        throw ConfigError("time zone file '" + tzif.string() + "' footer: " + e.what());
    }
}

const TimeZoneRule& parisTimeZone() {
    static const TimeZoneRule paris = loadTimeZoneRule(kParisZoneFile, kParisBuiltinRule);
    return paris;
}

LocalTime toParis(std::chrono::sys_seconds t) { return parisTimeZone().toLocal(t); }

WallTimeInstants fromParis(std::chrono::local_seconds wall) { return parisTimeZone().toUtc(wall); }

}  // namespace passerelle::schedule
