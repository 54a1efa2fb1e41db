// When a schedule runs: the next run strictly after an instant, on the Paris
// wall clock, through month ends, leap days and both changes of time.
//
// 2026 in Paris: CET (UTC+1) until Sunday 29 March 01:00Z, when 02:00 CET
// becomes 03:00 CEST (UTC+2); back to CET on Sunday 25 October 01:00Z, when
// 03:00 CEST becomes 02:00 CET, so 02:00-02:59 happens twice.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "schedule/cron.h"
#include "schedule/paris_time.h"
#include "schedule_test_support.h"

namespace passerelle::schedule {
namespace {

using std::chrono::minutes;
using std::chrono::sys_seconds;
using testing::iso;
using testing::utc;
using Runs = std::vector<std::string>;

std::vector<sys_seconds> runsFrom(const CronExpression& cron, sys_seconds after, int count) {
    std::vector<sys_seconds> out;
    for (int i = 0; i < count; ++i) {
        const auto next = cron.nextAfter(after);
        if (!next) break;
        out.push_back(*next);
        after = *next;
    }
    return out;
}

Runs runs(std::string_view expression, sys_seconds after, int count) {
    Runs out;
    for (sys_seconds t : runsFrom(CronExpression::parse(expression), after, count)) out.push_back(iso(t));
    return out;
}

// Runs in [from, to).
std::vector<sys_seconds> runsBetween(std::string_view expression, sys_seconds from, sys_seconds to) {
    const CronExpression cron = CronExpression::parse(expression);
    std::vector<sys_seconds> out;
    auto next = cron.nextAfter(from - std::chrono::seconds{1});
    while (next && *next < to) {
        out.push_back(*next);
        next = cron.nextAfter(*next);
    }
    return out;
}

// Runs whose Paris date is `day`.
std::vector<sys_seconds> runsOnParisDay(std::string_view expression, LocalDate day) {
    using namespace std::chrono;
    const local_days date{std::chrono::year{day.year} / std::chrono::month{day.month} /
                          std::chrono::day{day.day}};
    // The Paris day lies within [date - 2h, date + 1d - 1h] in UTC.
    const sys_seconds from{(date - hours{2}).time_since_epoch()};
    const sys_seconds to{(date + days{1}).time_since_epoch()};
    std::vector<sys_seconds> out;
    for (sys_seconds t : runsBetween(expression, from, to)) {
        if (toParis(t).date() == day) out.push_back(t);
    }
    return out;
}

TEST(CronNextRun, IsStrictlyAfter) {
    const auto midnight = CronExpression::parse("0 0 * * *");
    // 15 January 00:00 CET is 14 January 23:00Z.
    EXPECT_EQ(iso(*midnight.nextAfter(utc("2026-01-14T22:59:59Z"))), "2026-01-14T23:00:00Z");
    EXPECT_EQ(iso(*midnight.nextAfter(utc("2026-01-14T23:00:00Z"))), "2026-01-15T23:00:00Z");
    EXPECT_EQ(iso(*midnight.nextAfter(utc("2026-01-14T23:00:01Z"))), "2026-01-15T23:00:00Z");
}

TEST(CronNextRun, DayOfMonthOrDayOfWeekWhenBothAreRestricted) {
    // The 15th or any Monday. February 2026: Mondays 2, 9, 16, 23; the 15th is
    // a Sunday. 12:00 CET is 11:00Z.
    EXPECT_EQ(runs("0 12 15 * 1", utc("2026-02-01T00:00:00Z"), 6),
              (Runs{"2026-02-02T11:00:00Z", "2026-02-09T11:00:00Z", "2026-02-15T11:00:00Z",
                    "2026-02-16T11:00:00Z", "2026-02-23T11:00:00Z", "2026-03-02T11:00:00Z"}));
    // Only one restricted: only that one counts.
    EXPECT_EQ(runs("0 12 15 * *", utc("2026-02-01T00:00:00Z"), 3),
              (Runs{"2026-02-15T11:00:00Z", "2026-03-15T11:00:00Z", "2026-04-15T10:00:00Z"}));
    EXPECT_EQ(runs("0 12 * * 1", utc("2026-02-01T00:00:00Z"), 3),
              (Runs{"2026-02-02T11:00:00Z", "2026-02-09T11:00:00Z", "2026-02-16T11:00:00Z"}));
}

TEST(CronNextRun, AFieldWrittenWithStarIsUnrestrictedForTheDayRule) {
    // As in Vixie cron, '*/5' (days 1, 6, 11, 16, 21, 26, 31) starts with '*':
    // the day must then match both fields. Mondays that are such days:
    // 16 February, 16 March, 6 April (12:00 CEST = 10:00Z).
    EXPECT_EQ(runs("0 12 */5 * 1", utc("2026-02-01T00:00:00Z"), 3),
              (Runs{"2026-02-16T11:00:00Z", "2026-03-16T11:00:00Z", "2026-04-06T10:00:00Z"}));
}

TEST(CronNextRun, TheThirtyFirstSkipsShorterMonths) {
    // 31 March/May/July/August 00:00 CEST is 22:00Z the day before;
    // 31 October/December 00:00 CET is 23:00Z the day before.
    EXPECT_EQ(runs("0 0 31 * *", utc("2026-01-31T00:00:00Z"), 6),
              (Runs{"2026-03-30T22:00:00Z", "2026-05-30T22:00:00Z", "2026-07-30T22:00:00Z",
                    "2026-08-30T22:00:00Z", "2026-10-30T23:00:00Z", "2026-12-30T23:00:00Z"}));
}

TEST(CronNextRun, TwentyNinthOfFebruaryWaitsForALeapYear) {
    // 29 February 2028 00:00 CET, then 2032.
    EXPECT_EQ(runs("0 0 29 2 *", utc("2026-01-01T00:00:00Z"), 2),
              (Runs{"2028-02-28T23:00:00Z", "2032-02-28T23:00:00Z"}));
}

TEST(CronNextRun, ImpossibleExpressionHasNoNextRun) {
    const sys_seconds now = utc("2026-01-15T12:00:00Z");
    EXPECT_EQ(CronExpression::parse("0 0 31 2 *").nextAfter(now), std::nullopt);
    EXPECT_EQ(CronExpression::parse("0 0 30 2 *").nextAfter(now), std::nullopt);
    EXPECT_EQ(CronExpression::parse("0 0 31 4,6,9,11 *").nextAfter(now), std::nullopt);
    // With a weekday too, the Vixie rule makes it possible again: the Mondays
    // of February, the first being 2 February 2026.
    EXPECT_EQ(iso(*CronExpression::parse("0 0 30 2 1").nextAfter(now)), "2026-02-01T23:00:00Z");
}

TEST(CronSpringForward, SkippedWallTimeRunsOnceAtTheEndOfTheGap) {
    // 02:30 on 29 March does not exist: the job runs at 03:00 CEST (01:00Z),
    // once; the days around run at 02:30 CET (01:30Z) and 02:30 CEST (00:30Z).
    EXPECT_EQ(runs("30 2 * * *", utc("2026-03-28T00:00:00Z"), 3),
              (Runs{"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}));
    EXPECT_EQ(iso(*CronExpression::parse("30 2 * * *").nextAfter(utc("2026-03-29T00:59:59Z"))),
              "2026-03-29T01:00:00Z");
    EXPECT_EQ(iso(*CronExpression::parse("30 2 * * *").nextAfter(utc("2026-03-29T01:00:00Z"))),
              "2026-03-30T00:30:00Z");
}

TEST(CronSpringForward, SeveralSkippedWallTimesStillRunOnce) {
    // 02:00, 02:15, 02:30, 02:45 all fall in the gap: one run, at 01:00Z.
    EXPECT_EQ(runsOnParisDay("*/15 2 * * *", {2026, 3, 29}),
              std::vector<sys_seconds>{utc("2026-03-29T01:00:00Z")});
    // 02:30 in the gap and 03:00 right after it are the same instant: one run.
    EXPECT_EQ(runs("0,30 2-3 * * *", utc("2026-03-29T00:00:00Z"), 3),
              (Runs{"2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z", "2026-03-30T00:00:00Z"}));
}

TEST(CronSpringForward, HourlyJobRuns23TimesThatDay) {
    const auto hourly = runsOnParisDay("0 * * * *", {2026, 3, 29});
    ASSERT_EQ(hourly.size(), 23u);
    // From 00:00 CET (28 March 23:00Z) every real hour: 01:00 CET (00:00Z) is
    // followed by 03:00 CEST (01:00Z).
    EXPECT_EQ(iso(hourly.front()), "2026-03-28T23:00:00Z");
    EXPECT_EQ(iso(hourly[1]), "2026-03-29T00:00:00Z");
    EXPECT_EQ(iso(hourly[2]), "2026-03-29T01:00:00Z");
    EXPECT_EQ(iso(hourly.back()), "2026-03-29T21:00:00Z");  // 23:00 CEST
    // '30 * * * *': 01:30 CET, then 03:30 CEST: 02:30 never happens and is not made up.
    EXPECT_EQ(runs("30 * * * *", utc("2026-03-29T00:00:00Z"), 2),
              (Runs{"2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z"}));
}

TEST(CronSpringForward, QuarterHourJobKeepsItsRealInterval) {
    const auto quarters = runsFrom(CronExpression::parse("*/15 * * * *"), utc("2026-03-29T00:00:00Z"), 12);
    ASSERT_EQ(quarters.size(), 12u);
    for (std::size_t i = 0; i < quarters.size(); ++i) {
        EXPECT_EQ(quarters[i], utc("2026-03-29T00:00:00Z") + minutes{15 * (i + 1)}) << i;
    }
}

TEST(CronFallBack, RepeatedWallTimeRunsOnceAtItsFirstOccurrence) {
    // 02:30 on 25 October happens at 00:30Z (CEST) and 01:30Z (CET): the job
    // runs at 00:30Z only; the next day at 02:30 CET (01:30Z).
    EXPECT_EQ(runs("30 2 * * *", utc("2026-10-24T00:00:00Z"), 3),
              (Runs{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}));
    // Even when asked from between the two occurrences.
    EXPECT_EQ(iso(*CronExpression::parse("30 2 * * *").nextAfter(utc("2026-10-25T01:00:00Z"))),
              "2026-10-26T01:30:00Z");
    // A fixed hour with several minutes: the first pass only.
    EXPECT_EQ(runsOnParisDay("*/15 2 * * *", {2026, 10, 25}),
              (std::vector<sys_seconds>{utc("2026-10-25T00:00:00Z"), utc("2026-10-25T00:15:00Z"),
                                        utc("2026-10-25T00:30:00Z"), utc("2026-10-25T00:45:00Z")}));
}

TEST(CronFallBack, HourlyJobRuns25TimesThatDay) {
    const auto hourly = runsOnParisDay("0 * * * *", {2026, 10, 25});
    ASSERT_EQ(hourly.size(), 25u);
    // 00:00 CEST is 24 October 22:00Z; 02:00 runs at 00:00Z (CEST) and
    // 01:00Z (CET); 23:00 CET is 22:00Z.
    EXPECT_EQ(iso(hourly.front()), "2026-10-24T22:00:00Z");
    EXPECT_EQ(iso(hourly[2]), "2026-10-25T00:00:00Z");
    EXPECT_EQ(iso(hourly[3]), "2026-10-25T01:00:00Z");
    EXPECT_EQ(iso(hourly.back()), "2026-10-25T22:00:00Z");
    EXPECT_EQ(runs("30 * * * *", utc("2026-10-25T00:00:00Z"), 3),
              (Runs{"2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-25T02:30:00Z"}));
}

TEST(CronFallBack, QuarterHourJobRunsInBothPasses) {
    // From 02:00 CEST (00:00Z): every 15 real minutes through 02:00-02:59 CET.
    const auto quarters = runsFrom(CronExpression::parse("*/15 * * * *"), utc("2026-10-25T00:00:00Z"), 12);
    ASSERT_EQ(quarters.size(), 12u);
    for (std::size_t i = 0; i < quarters.size(); ++i) {
        EXPECT_EQ(quarters[i], utc("2026-10-25T00:00:00Z") + minutes{15 * (i + 1)}) << i;
    }
}

TEST(CronDaylightSaving, MonthlyJobKeepsItsWallTime) {
    // 06:00 in Paris on the 1st: 05:00Z in CET, 04:00Z in CEST.
    EXPECT_EQ(runs("0 6 1 * *", utc("2026-02-15T00:00:00Z"), 3),
              (Runs{"2026-03-01T05:00:00Z", "2026-04-01T04:00:00Z", "2026-05-01T04:00:00Z"}));
    EXPECT_EQ(runs("0 6 1 * *", utc("2026-10-01T04:00:00Z"), 1), (Runs{"2026-11-01T05:00:00Z"}));
}

TEST(CronDaylightSaving, AYearOfRuns) {
    // The Paris year 2026: [2025-12-31T23:00Z, 2026-12-31T23:00Z), 365 days.
    const sys_seconds from = utc("2025-12-31T23:00:00Z");
    const sys_seconds to = utc("2026-12-31T23:00:00Z");

    // A daily job at a fixed hour runs once on every Paris day, gap and overlap included.
    const auto daily = runsBetween("30 2 * * *", from, to);
    std::set<std::string> days;
    for (sys_seconds t : daily) days.insert(formatIsoDate(toParis(t).date()));
    EXPECT_EQ(daily.size(), 365u);
    EXPECT_EQ(days.size(), 365u);

    // Periodic jobs follow real time: 365 * 24 hours, 365 * 96 quarters.
    EXPECT_EQ(runsBetween("0 * * * *", from, to).size(), 8760u);
    EXPECT_EQ(runsBetween("*/15 * * * *", from, to).size(), 35040u);

    // A fixed hour with every minute: 363 ordinary days of 60 runs, one run
    // for the gap in March, the first pass only (60) in October.
    EXPECT_EQ(runsBetween("* 2 * * *", from, to).size(), 363u * 60 + 1 + 60);
}

TEST(CronOtherZone, SouthernHemisphereChangesInTheOtherDirection) {
    // Sydney: summer time (UTC+11) from the first Sunday of October at 02:00
    // AEST to the first Sunday of April at 03:00 AEDT.
    const TimeZoneRule sydney = TimeZoneRule::parse("AEST-10AEDT,M10.1.0,M4.1.0/3");
    const auto job = CronExpression::parse("30 2 * * *");
    // 5 April 2026: 02:30 happens twice; first at 02:30 AEDT = 4 April 15:30Z.
    // Next 02:30 AEST on the 6th = 5 April 16:30Z.
    EXPECT_EQ(iso(*job.nextAfter(utc("2026-04-04T12:00:00Z"), sydney)), "2026-04-04T15:30:00Z");
    EXPECT_EQ(iso(*job.nextAfter(utc("2026-04-04T15:30:00Z"), sydney)), "2026-04-05T16:30:00Z");
    // 4 October 2026: 02:00 AEST jumps to 03:00 AEDT (3 October 16:00Z).
    EXPECT_EQ(iso(*job.nextAfter(utc("2026-10-03T12:00:00Z"), sydney)), "2026-10-03T16:00:00Z");
    EXPECT_EQ(iso(*job.nextAfter(utc("2026-10-03T16:00:00Z"), sydney)), "2026-10-04T15:30:00Z");
}

}  // namespace
}  // namespace passerelle::schedule
