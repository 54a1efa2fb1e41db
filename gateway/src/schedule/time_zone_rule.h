#pragma once
// A time zone given by its POSIX TZ rule, e.g. "CET-1CEST,M3.5.0,M10.5.0/3"
// for Europe/Paris: standard time CET at UTC+1, summer time CEST at UTC+2 from
// the last Sunday of March at 02:00 CET to the last Sunday of October at
// 03:00 CEST. It is the rule a TZif file's footer gives for every instant after
// its explicit transitions (RFC 8536 §3.3), the one Paris has followed since
// 1996. Ours, because libstdc++ 12 has no std::chrono::zoned_time and the TZ
// environment variable is process-wide state no thread may change.
//
// Only transition dates of the form Mm.w.d[/time] are supported (every zone in
// Europe uses it); the Jn and n forms are refused, as is a summer time without
// its rule.

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "schedule/calendar.h"

namespace passerelle::schedule {

// A wall-clock reading in a zone, to the second.
struct LocalTime {
    int year = 1970;
    unsigned month = 1;                 // 1-12
    unsigned day = 1;                   // 1-31
    unsigned hour = 0;                  // 0-23
    unsigned minute = 0;                // 0-59
    unsigned second = 0;                // 0-59
    unsigned weekday = 4;               // 0 = Sunday ... 6 = Saturday
    std::chrono::seconds utcOffset{0};  // east of UTC: 1h in CET, 2h in CEST
    bool daylightSaving = false;        // the rule's second (summer) offset is in force

    LocalDate date() const { return {year, month, day}; }
    std::chrono::local_seconds wallClock() const;
};

// The instants at which the clocks show a given wall time (like std::chrono::local_info).
struct WallTimeInstants {
    enum class Kind {
        Unique,       // earliest == latest
        Ambiguous,    // shown twice when the clocks go back: earliest, then latest
        Nonexistent,  // skipped when the clocks go forward; earliest == latest == the
                      // first instant after the gap (the transition)
    };
    Kind kind = Kind::Unique;
    std::chrono::sys_seconds earliest;
    std::chrono::sys_seconds latest;
};

class TimeZoneRule {
public:
    // "std offset [dst [offset],Mm.w.d[/time],Mm.w.d[/time]]". Throws ConfigError
    // naming the rule, the position and the problem.
    static TimeZoneRule parse(std::string_view posixTz);

    LocalTime toLocal(std::chrono::sys_seconds t) const;
    WallTimeInstants toUtc(std::chrono::local_seconds wall) const;
    std::chrono::seconds offsetAt(std::chrono::sys_seconds t) const;

    // The smallest and largest offsets the zone ever uses (CET and CEST for Paris).
    std::chrono::seconds minOffset() const;
    std::chrono::seconds maxOffset() const;

    const std::string& text() const { return text_; }

private:
    // Month m, week w (5 = last), weekday d (0 = Sunday), at `time` local time
    // as it reads just before the change (may be negative or past 24h, RFC 8536).
    struct TransitionDate {
        unsigned month = 1;
        unsigned week = 1;
        unsigned weekday = 0;
        std::chrono::seconds time{2 * 3600};
    };
    struct SummerTime {
        std::chrono::seconds offset{0};
        TransitionDate start;
        TransitionDate end;
    };
    struct Transition {
        std::chrono::sys_seconds at;
        std::chrono::seconds offsetAfter{0};
    };

    friend class TimeZoneRuleParser;

    // The transitions of the years around t's, for a lookup that works in
    // either hemisphere and across New Year.
    std::array<Transition, 6> transitionsAround(std::chrono::sys_seconds t) const;

    std::string text_;
    std::chrono::seconds standardOffset_{0};  // east of UTC (POSIX writes it west: "CET-1")
    std::optional<SummerTime> summer_;
};

}  // namespace passerelle::schedule
