#pragma once
// A five-field cron schedule (minute hour day-of-month month day-of-week),
// read on the Europe/Paris wall clock, to the minute.
//
// Syntax: '*', numbers, ranges a-b, lists a,b, steps */n and a-b/n; month
// names JAN-DEC and day names SUN-SAT in any case; day-of-week 0 and 7 are both
// Sunday, and a range may end on either (FRI-SUN, 5-0, 5-7); the macros
// @hourly @daily @weekly @monthly @yearly. As in Vixie cron and cronie, when
// day-of-month and day-of-week are both restricted a day matches if either
// does, and a field written starting with '*' (even '*/2') counts as
// unrestricted for that rule.
//
// Daylight saving time, as cronie does for its two kinds of job:
// - A job whose hour field starts with '*' ('*', '*/n': periodic jobs) runs on
//   real elapsed time: at every instant whose Paris wall time matches. A wall
//   time the clocks skip in March never happens; one that happens twice in
//   October runs twice. '0 * * * *' runs 23 times on the last Sunday of March,
//   25 on the last Sunday of October, and '*/15 * * * *' every 15 real minutes.
// - A job with a fixed hour ('30 2 * * *', '* 2 * * *', '0 1-3 * * *') runs at
//   most once per matching wall time. One that falls in the March gap (02:00 to
//   02:59 local) runs once, at the first instant after the gap (03:00 CEST,
//   01:00 UTC); one that happens twice in October (02:00 to 02:59) runs at its
//   first occurrence (CEST) only. (cronie also counts a '*' minute as
//   periodic; we do not: '* 2 * * *' runs once in the gap and 60 times in
//   October, not 0 and 120.)

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "schedule/time_zone_rule.h"

namespace passerelle::schedule {

class CronExpression {
public:
    // Throws ConfigError naming the field, its value and the problem, e.g.
    // "cron field 2 (hour) '25': out of range 0-23". The caller adds where the
    // expression came from (file, key).
    static CronExpression parse(std::string_view text);

    // The first instant strictly after `after` at which the job runs in
    // Europe/Paris (see above); nullopt when none falls within about five years
    // ('0 0 31 2 *'). Throws ConfigError if the system's Paris zone file is
    // malformed (see parisTimeZone()).
    std::optional<std::chrono::sys_seconds> nextAfter(std::chrono::sys_seconds after) const;
    // The same in another zone.
    std::optional<std::chrono::sys_seconds> nextAfter(std::chrono::sys_seconds after,
                                                      const TimeZoneRule& zone) const;

    // The expression as written (trimmed), for display.
    const std::string& text() const { return text_; }

private:
    using LocalMinutes = std::chrono::local_time<std::chrono::minutes>;

    CronExpression() = default;

    bool dayMatches(std::chrono::local_days day) const;
    // The first wall minute at or after `from` that matches the five fields, up to `limit`.
    std::optional<LocalMinutes> nextMatchingWallTime(LocalMinutes from, LocalMinutes limit) const;
    // When a matching wall time makes the job run after `after`, by the DST rules above.
    std::optional<std::chrono::sys_seconds> runInstant(LocalMinutes wall, const TimeZoneRule& zone,
                                                       std::chrono::sys_seconds after) const;

    std::string text_;
    std::bitset<60> minutes_;
    std::bitset<24> hours_;
    std::bitset<32> daysOfMonth_;  // 1-31
    std::bitset<13> months_;       // 1-12
    std::bitset<7> daysOfWeek_;    // 0 = Sunday
    bool hourPeriodic_ = false;    // the hour field starts with '*'
    bool dayOfMonthStar_ = false;  // starts with '*'
    bool dayOfWeekStar_ = false;   // starts with '*'
};

}  // namespace passerelle::schedule
