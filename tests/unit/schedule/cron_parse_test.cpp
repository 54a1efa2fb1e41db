// Cron syntax: what a schedule in the configuration may say, and the message
// an administrator gets for what it may not. Runs are checked in January
// 2026, when Paris is on CET (UTC+1): 10:00 in Paris is 09:00Z.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "schedule/cron.h"
#include "schedule_test_support.h"

namespace passerelle::schedule {
namespace {

using testing::configErrorOf;
using testing::iso;
using testing::utc;

// Thursday 2026-01-15 09:59:59 in Paris.
const auto kThursdayMorning = utc("2026-01-15T08:59:59Z");

std::vector<std::string> runs(std::string_view expression, std::chrono::sys_seconds after, int count) {
    const CronExpression cron = CronExpression::parse(expression);
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) {
        const auto next = cron.nextAfter(after);
        if (!next) break;
        out.push_back(iso(*next));
        after = *next;
    }
    return out;
}

std::string parseError(std::string_view expression) {
    return configErrorOf([&] { CronExpression::parse(expression); });
}

using Runs = std::vector<std::string>;

TEST(CronSyntax, StarMatchesEveryMinuteStrictlyAfter) {
    // 09:00:30Z is mid-minute: the next run is the next whole minute.
    EXPECT_EQ(runs("* * * * *", utc("2026-01-15T09:00:30Z"), 2),
              (Runs{"2026-01-15T09:01:00Z", "2026-01-15T09:02:00Z"}));
}

TEST(CronSyntax, NumbersListsRangesAndSteps) {
    EXPECT_EQ(runs("1,2,58 * * * *", kThursdayMorning, 4),
              (Runs{"2026-01-15T09:01:00Z", "2026-01-15T09:02:00Z", "2026-01-15T09:58:00Z",
                    "2026-01-15T10:01:00Z"}));
    EXPECT_EQ(runs("*/20 * * * *", kThursdayMorning, 4),
              (Runs{"2026-01-15T09:00:00Z", "2026-01-15T09:20:00Z", "2026-01-15T09:40:00Z",
                    "2026-01-15T10:00:00Z"}));
    EXPECT_EQ(runs("5-20/5 * * * *", kThursdayMorning, 5),
              (Runs{"2026-01-15T09:05:00Z", "2026-01-15T09:10:00Z", "2026-01-15T09:15:00Z",
                    "2026-01-15T09:20:00Z", "2026-01-15T10:05:00Z"}));
    EXPECT_EQ(runs("58-59 * * * *", kThursdayMorning, 3),
              (Runs{"2026-01-15T09:58:00Z", "2026-01-15T09:59:00Z", "2026-01-15T10:58:00Z"}));
    // Hours 9, 13 and 17 in Paris; 09:00 today has passed.
    EXPECT_EQ(runs("0 9-17/4 * * *", kThursdayMorning, 3),
              (Runs{"2026-01-15T12:00:00Z", "2026-01-15T16:00:00Z", "2026-01-16T08:00:00Z"}));
    EXPECT_EQ(runs("15 8,18 * * *", kThursdayMorning, 2),
              (Runs{"2026-01-15T17:15:00Z", "2026-01-16T07:15:00Z"}));
}

TEST(CronSyntax, DayNamesInAnyCase) {
    // Thursday 15, Friday 16, then Monday 19 January, 12:30 in Paris.
    const Runs weekdays{"2026-01-15T11:30:00Z", "2026-01-16T11:30:00Z", "2026-01-19T11:30:00Z"};
    EXPECT_EQ(runs("30 12 * * MON-FRI", kThursdayMorning, 3), weekdays);
    EXPECT_EQ(runs("30 12 * * mon-fri", kThursdayMorning, 3), weekdays);
    EXPECT_EQ(runs("30 12 * * Mon,Tue,Wed,thu,FRI", kThursdayMorning, 3), weekdays);
    EXPECT_EQ(runs("30 12 * * 1-5", kThursdayMorning, 3), weekdays);
}

TEST(CronSyntax, SundayIsZeroOrSeven) {
    // The first Sunday after Thursday 15 January is the 18th; 10:00 in Paris.
    const Runs sundays{"2026-01-18T09:00:00Z", "2026-01-25T09:00:00Z"};
    EXPECT_EQ(runs("0 10 * * 0", kThursdayMorning, 2), sundays);
    EXPECT_EQ(runs("0 10 * * 7", kThursdayMorning, 2), sundays);
    EXPECT_EQ(runs("0 10 * * sun", kThursdayMorning, 2), sundays);
    // Friday to Sunday written with 7 as the end of the range.
    EXPECT_EQ(runs("0 10 * * 5-7", kThursdayMorning, 4),
              (Runs{"2026-01-16T09:00:00Z", "2026-01-17T09:00:00Z", "2026-01-18T09:00:00Z",
                    "2026-01-23T09:00:00Z"}));
    EXPECT_EQ(runs("0 10 * * FRI-SUN", kThursdayMorning, 4), runs("0 10 * * 5-7", kThursdayMorning, 4));
    EXPECT_EQ(runs("0 10 * * 5-0", kThursdayMorning, 4), runs("0 10 * * 5-7", kThursdayMorning, 4));
}

TEST(CronSyntax, MonthNamesInAnyCase) {
    // 1 July 00:00 CEST is 30 June 22:00Z; 1 January 00:00 CET is 31 December 23:00Z.
    const Runs expected{"2026-06-30T22:00:00Z", "2026-12-31T23:00:00Z"};
    EXPECT_EQ(runs("0 0 1 jan,Jul *", utc("2026-01-01T00:00:00Z"), 2), expected);
    EXPECT_EQ(runs("0 0 1 1,7 *", utc("2026-01-01T00:00:00Z"), 2), expected);
    // JAN-DEC/6 is January and July.
    EXPECT_EQ(runs("0 0 1 JAN-DEC/6 *", utc("2026-01-01T00:00:00Z"), 2), expected);
}

TEST(CronSyntax, Macros) {
    EXPECT_EQ(runs("@hourly", kThursdayMorning, 2), runs("0 * * * *", kThursdayMorning, 2));
    // Midnight in Paris is 23:00Z the day before, in winter.
    EXPECT_EQ(runs("@daily", kThursdayMorning, 1), (Runs{"2026-01-15T23:00:00Z"}));
    EXPECT_EQ(runs("@weekly", kThursdayMorning, 1), (Runs{"2026-01-17T23:00:00Z"}));  // Sunday 18th, 00:00
    EXPECT_EQ(runs("@monthly", kThursdayMorning, 1), (Runs{"2026-01-31T23:00:00Z"}));
    EXPECT_EQ(runs("@yearly", kThursdayMorning, 1), (Runs{"2026-12-31T23:00:00Z"}));
    EXPECT_EQ(CronExpression::parse("@daily").text(), "@daily");
}

TEST(CronSyntax, KeepsItsTextForDisplay) {
    EXPECT_EQ(CronExpression::parse("  0 6 1 * *\n").text(), "0 6 1 * *");
    EXPECT_EQ(CronExpression::parse("0\t6  1 * MON").text(), "0\t6  1 * MON");
}

TEST(CronSyntaxErrors, EachNamesFieldAndValue) {
    EXPECT_EQ(parseError("61 * * * *"), "cron field 1 (minute) '61': out of range 0-59");
    EXPECT_EQ(parseError("0 25 * * *"), "cron field 2 (hour) '25': out of range 0-23");
    EXPECT_EQ(parseError("0 0 0 * *"), "cron field 3 (day-of-month) '0': out of range 1-31");
    EXPECT_EQ(parseError("0 0 * 13 *"), "cron field 4 (month) '13': out of range 1-12");
    EXPECT_EQ(parseError("0 0 * * 8"), "cron field 5 (day-of-week) '8': out of range 0-7");
    EXPECT_EQ(parseError("0 0 1,2,32 * *"),
              "cron field 3 (day-of-month) '32' in '1,2,32': out of range 1-31");
    EXPECT_EQ(parseError("0 0-24 * * *"), "cron field 2 (hour) '0-24': '24': out of range 0-23");
    EXPECT_EQ(parseError("99999999999999999999 * * * *"),
              "cron field 1 (minute) '99999999999999999999': out of range 0-59");
}

TEST(CronSyntaxErrors, StepsAndRanges) {
    EXPECT_EQ(parseError("*/0 * * * *"), "cron field 1 (minute) '*/0': step must be at least 1");
    EXPECT_EQ(parseError("0 1-5/0 * * *"), "cron field 2 (hour) '1-5/0': step must be at least 1");
    EXPECT_EQ(parseError("*/60 * * * *"),
              "cron field 1 (minute) '*/60': step 60 is larger than the range 0-59");
    EXPECT_EQ(parseError("*/x * * * *"), "cron field 1 (minute) '*/x': expected a step number after '/'");
    EXPECT_EQ(parseError("*/ * * * *"), "cron field 1 (minute) '*/': expected a step number after '/'");
    EXPECT_EQ(parseError("0 5-3 * * *"), "cron field 2 (hour) '5-3': range start 5 is after its end 3");
    EXPECT_EQ(parseError("0 0 * * FRI-MON"),
              "cron field 5 (day-of-week) 'FRI-MON': range start 5 is after its end 1");
    EXPECT_EQ(parseError("5/10 * * * *"),
              "cron field 1 (minute) '5/10': a step needs a range: write '5-59/10' or '*/10'");
    EXPECT_EQ(parseError("-5 * * * *"), "cron field 1 (minute) '-5': expected a number on both sides of '-'");
    EXPECT_EQ(parseError("5- * * * *"), "cron field 1 (minute) '5-': expected a number on both sides of '-'");
    EXPECT_EQ(parseError("1-2-3 * * * *"),
              "cron field 1 (minute) '1-2-3': '2-3': expected a number, '*', a range a-b, a list a,b or a "
              "step */n");
    EXPECT_EQ(parseError("1,,2 * * * *"), "cron field 1 (minute) '' in '1,,2': empty list item");
    EXPECT_EQ(parseError("1, * * * *"), "cron field 1 (minute) '' in '1,': empty list item");
}

TEST(CronSyntaxErrors, NamesOnlyWhereTheyBelong) {
    EXPECT_EQ(parseError("0 0 * Sept *"),
              "cron field 4 (month) 'Sept': unknown name 'Sept': expected a month name JAN-DEC");
    EXPECT_EQ(parseError("0 0 * * MON-FOO"),
              "cron field 5 (day-of-week) 'MON-FOO': unknown name 'FOO': expected a day name SUN-SAT");
    EXPECT_EQ(parseError("0 0 * * Monday"),
              "cron field 5 (day-of-week) 'Monday': unknown name 'Monday': expected a day name SUN-SAT");
    EXPECT_EQ(
        parseError("0 0 JAN * *"),
        "cron field 3 (day-of-month) 'JAN': expected a number, '*', a range a-b, a list a,b or a step */n");
    EXPECT_EQ(parseError("0 0 * * L"),
              "cron field 5 (day-of-week) 'L': unknown name 'L': expected a day name SUN-SAT");
    EXPECT_EQ(parseError("? * * * *"),
              "cron field 1 (minute) '?': expected a number, '*', a range a-b, a list a,b or a step */n");
    EXPECT_EQ(
        parseError("0 0 * * 1#2"),
        "cron field 5 (day-of-week) '1#2': expected a number or a day name SUN-SAT, '*', a range a-b, a list "
        "a,b or a step */n");
}

TEST(CronSyntaxErrors, WholeExpression) {
    const std::string empty =
        "cron expression is empty: expected 5 fields (minute hour day-of-month month day-of-week) or a macro "
        "such "
        "as @daily";
    EXPECT_EQ(parseError(""), empty);
    EXPECT_EQ(parseError(" \t\n"), empty);
    EXPECT_EQ(parseError("0 * * * * *"),
              "cron expression '0 * * * * *': expected 5 fields (minute hour day-of-month month "
              "day-of-week), found "
              "6 (seconds and years are not supported)");
    EXPECT_EQ(
        parseError("0 * * *"),
        "cron expression '0 * * *': expected 5 fields (minute hour day-of-month month day-of-week), found 4");
    EXPECT_EQ(parseError("every day"),
              "cron expression 'every day': expected 5 fields (minute hour day-of-month month day-of-week), "
              "found 2");
    EXPECT_EQ(parseError("@reboot"),
              "cron macro '@reboot' is unknown: expected @hourly, @daily, @weekly, @monthly or @yearly");
    EXPECT_EQ(parseError("@daily 0"),
              "cron macro '@daily 0' is unknown: expected @hourly, @daily, @weekly, @monthly or @yearly");
}

}  // namespace
}  // namespace passerelle::schedule
