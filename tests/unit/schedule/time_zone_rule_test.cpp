// POSIX TZ rules: offsets either side of each change, the wall times a change
// skips or repeats, other hemispheres, and the rules we refuse.

#include "schedule/time_zone_rule.h"

#include <gtest/gtest.h>

#include <string>

#include "schedule/paris_time.h"
#include "schedule_test_support.h"

namespace passerelle::schedule {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using testing::configErrorOf;
using testing::iso;
using testing::utc;
using testing::wall;
using Kind = WallTimeInstants::Kind;

// "2026-03-29 03:00:00 +02:00 dst Sun"
std::string describe(const LocalTime& t) {
    static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    char text[64];
    const long offsetMinutes = static_cast<long>(t.utcOffset.count() / 60);
    const long absMinutes = offsetMinutes < 0 ? -offsetMinutes : offsetMinutes;
    std::snprintf(text, sizeof text, "%04d-%02u-%02u %02u:%02u:%02u %c%02ld:%02ld%s %s", t.year, t.month,
                  t.day, t.hour, t.minute, t.second, offsetMinutes < 0 ? '-' : '+', absMinutes / 60,
                  absMinutes % 60, t.daylightSaving ? " dst" : "", t.weekday < 7 ? kDays[t.weekday] : "?");
    return text;
}

std::string ruleError(std::string_view rule) {
    return configErrorOf([&] { TimeZoneRule::parse(rule); });
}

const TimeZoneRule& paris() {
    static const TimeZoneRule rule = TimeZoneRule::parse(kParisBuiltinRule);
    return rule;
}

TEST(ParisRule, OffsetsEitherSideOfTheSpringChange) {
    EXPECT_EQ(describe(paris().toLocal(utc("2026-03-29T00:59:59Z"))), "2026-03-29 01:59:59 +01:00 Sun");
    EXPECT_EQ(describe(paris().toLocal(utc("2026-03-29T01:00:00Z"))), "2026-03-29 03:00:00 +02:00 dst Sun");
}

TEST(ParisRule, OffsetsEitherSideOfTheAutumnChange) {
    EXPECT_EQ(describe(paris().toLocal(utc("2026-10-25T00:59:59Z"))), "2026-10-25 02:59:59 +02:00 dst Sun");
    EXPECT_EQ(describe(paris().toLocal(utc("2026-10-25T01:00:00Z"))), "2026-10-25 02:00:00 +01:00 Sun");
}

TEST(ParisRule, OtherYearsAndNewYear) {
    // Last Sundays of March and October: 2024-03-31, 2024-10-27, 2027-03-28.
    EXPECT_EQ(describe(paris().toLocal(utc("2024-03-31T01:00:00Z"))), "2024-03-31 03:00:00 +02:00 dst Sun");
    EXPECT_EQ(describe(paris().toLocal(utc("2024-10-27T01:00:00Z"))), "2024-10-27 02:00:00 +01:00 Sun");
    EXPECT_EQ(describe(paris().toLocal(utc("2027-03-28T00:59:59Z"))), "2027-03-28 01:59:59 +01:00 Sun");
    EXPECT_EQ(describe(paris().toLocal(utc("2025-12-31T23:30:00Z"))), "2026-01-01 00:30:00 +01:00 Thu");
    EXPECT_EQ(describe(paris().toLocal(utc("2026-07-14T10:00:00Z"))), "2026-07-14 12:00:00 +02:00 dst Tue");
}

TEST(ParisRule, WallTimesBackToUtc) {
    const WallTimeInstants summer = paris().toUtc(wall("2026-07-14 12:00"));
    EXPECT_EQ(summer.kind, Kind::Unique);
    EXPECT_EQ(iso(summer.earliest), "2026-07-14T10:00:00Z");
    EXPECT_EQ(summer.latest, summer.earliest);

    // 02:30 on 29 March never shows: the first instant after the gap is 01:00Z.
    const WallTimeInstants skipped = paris().toUtc(wall("2026-03-29 02:30"));
    EXPECT_EQ(skipped.kind, Kind::Nonexistent);
    EXPECT_EQ(iso(skipped.earliest), "2026-03-29T01:00:00Z");
    EXPECT_EQ(iso(skipped.latest), "2026-03-29T01:00:00Z");
    EXPECT_EQ(paris().toUtc(wall("2026-03-29 02:00")).kind, Kind::Nonexistent);
    EXPECT_EQ(iso(paris().toUtc(wall("2026-03-29 01:59:59")).earliest), "2026-03-29T00:59:59Z");
    EXPECT_EQ(paris().toUtc(wall("2026-03-29 03:00")).kind, Kind::Unique);
    EXPECT_EQ(iso(paris().toUtc(wall("2026-03-29 03:00")).earliest), "2026-03-29T01:00:00Z");

    // 02:30 on 25 October shows twice: 00:30Z in CEST, 01:30Z in CET.
    const WallTimeInstants twice = paris().toUtc(wall("2026-10-25 02:30"));
    EXPECT_EQ(twice.kind, Kind::Ambiguous);
    EXPECT_EQ(iso(twice.earliest), "2026-10-25T00:30:00Z");
    EXPECT_EQ(iso(twice.latest), "2026-10-25T01:30:00Z");
    EXPECT_EQ(paris().toUtc(wall("2026-10-25 02:00")).kind, Kind::Ambiguous);
    EXPECT_EQ(paris().toUtc(wall("2026-10-25 03:00")).kind, Kind::Unique);
    EXPECT_EQ(iso(paris().toUtc(wall("2026-10-25 03:00")).earliest), "2026-10-25T02:00:00Z");
    EXPECT_EQ(paris().toUtc(wall("2026-10-25 01:59:59")).kind, Kind::Unique);
}

TEST(ParisRule, OffsetRange) {
    EXPECT_EQ(paris().minOffset(), hours{1});
    EXPECT_EQ(paris().maxOffset(), hours{2});
    EXPECT_EQ(paris().text(), "CET-1CEST,M3.5.0,M10.5.0/3");
}

TEST(OtherRules, SouthernHemisphereAcrossNewYear) {
    const TimeZoneRule sydney = TimeZoneRule::parse("AEST-10AEDT,M10.1.0,M4.1.0/3");
    EXPECT_EQ(describe(sydney.toLocal(utc("2025-12-31T13:30:00Z"))), "2026-01-01 00:30:00 +11:00 dst Thu");
    EXPECT_EQ(describe(sydney.toLocal(utc("2026-07-15T00:00:00Z"))), "2026-07-15 10:00:00 +10:00 Wed");
    // First Sunday of April 2026 is the 5th: 03:00 AEDT (4 April 16:00Z) becomes 02:00 AEST.
    EXPECT_EQ(describe(sydney.toLocal(utc("2026-04-04T15:59:59Z"))), "2026-04-05 02:59:59 +11:00 dst Sun");
    EXPECT_EQ(describe(sydney.toLocal(utc("2026-04-04T16:00:00Z"))), "2026-04-05 02:00:00 +10:00 Sun");
}

TEST(OtherRules, UnitedStatesSecondSundayOfMarch) {
    // 8 March 2026, 02:00 EST (07:00Z) becomes 03:00 EDT.
    const TimeZoneRule newYork = TimeZoneRule::parse("EST5EDT,M3.2.0,M11.1.0");
    EXPECT_EQ(describe(newYork.toLocal(utc("2026-03-08T06:59:59Z"))), "2026-03-08 01:59:59 -05:00 Sun");
    EXPECT_EQ(describe(newYork.toLocal(utc("2026-03-08T07:00:00Z"))), "2026-03-08 03:00:00 -04:00 dst Sun");
    EXPECT_EQ(newYork.minOffset(), hours{-5});
    EXPECT_EQ(newYork.maxOffset(), hours{-4});
}

TEST(OtherRules, NegativeSummerTimeAsDublinWritesIt) {
    // tzdata's Europe/Dublin: IST (UTC+1) is "standard", GMT the winter "summer" time.
    const TimeZoneRule dublin = TimeZoneRule::parse("IST-1GMT0,M10.5.0,M3.5.0/1");
    EXPECT_EQ(dublin.toLocal(utc("2026-01-15T12:00:00Z")).utcOffset, seconds{0});
    EXPECT_EQ(dublin.toLocal(utc("2026-07-15T12:00:00Z")).utcOffset, hours{1});
    EXPECT_EQ(dublin.toLocal(utc("2026-03-29T00:59:59Z")).utcOffset, seconds{0});
    EXPECT_EQ(dublin.toLocal(utc("2026-03-29T01:00:00Z")).utcOffset, hours{1});
    EXPECT_EQ(dublin.toUtc(wall("2026-03-29 01:30")).kind, Kind::Nonexistent);
    EXPECT_EQ(iso(dublin.toUtc(wall("2026-03-29 01:30")).earliest), "2026-03-29T01:00:00Z");
    EXPECT_EQ(dublin.toUtc(wall("2026-10-25 01:30")).kind, Kind::Ambiguous);
}

TEST(OtherRules, NoSummerTimeAndQuotedNames) {
    const TimeZoneRule tokyo = TimeZoneRule::parse("JST-9");
    EXPECT_EQ(describe(tokyo.toLocal(utc("2026-07-15T00:00:00Z"))), "2026-07-15 09:00:00 +09:00 Wed");
    EXPECT_EQ(tokyo.minOffset(), tokyo.maxOffset());
    EXPECT_EQ(tokyo.toUtc(wall("2026-07-15 09:00")).kind, Kind::Unique);
    const TimeZoneRule tehran = TimeZoneRule::parse("<+0330>-3:30");
    EXPECT_EQ(describe(tehran.toLocal(utc("2026-01-15T00:00:00Z"))), "2026-01-15 03:30:00 +03:30 Thu");
    const TimeZoneRule azores = TimeZoneRule::parse("<-01>1<+00>,M3.5.0/0,M10.5.0/1");
    EXPECT_EQ(azores.toLocal(utc("2026-01-15T00:00:00Z")).utcOffset, hours{-1});
    EXPECT_EQ(azores.toLocal(utc("2026-07-15T00:00:00Z")).utcOffset, seconds{0});
}

TEST(RefusedRules, NameThePositionAndTheProblem) {
    EXPECT_EQ(ruleError(""), "time zone rule '' at position 1: the rule is empty");
    EXPECT_EQ(ruleError("CET-1CEST"),
              "time zone rule 'CET-1CEST' at position 10: a summer time needs its rule: "
              "',Mm.w.d[/time],Mm.w.d[/time]'");
    EXPECT_EQ(
        ruleError("CET-1CEST,J60,M10.5.0/3"),
        "time zone rule 'CET-1CEST,J60,M10.5.0/3' at position 11: unsupported summer time start 'J60': only "
        "the Mm.w.d form is supported");
    EXPECT_EQ(
        ruleError("CET-1CEST,M3.5.0,300/3"),
        "time zone rule 'CET-1CEST,M3.5.0,300/3' at position 18: unsupported summer time end '300': only the "
        "Mm.w.d form is supported");
    EXPECT_EQ(ruleError("CET-1CEST,M3.5.0,M10.5.0/3x"),
              "time zone rule 'CET-1CEST,M3.5.0,M10.5.0/3x' at position 27: unexpected 'x' after the rule");
    EXPECT_EQ(ruleError("CET-1CEST,M3.5.0"),
              "time zone rule 'CET-1CEST,M3.5.0' at position 17: expected a ',' before the summer time end");
    EXPECT_EQ(ruleError("CET"),
              "time zone rule 'CET' at position 4: expected a number for the standard time "
              "offset hours");
    EXPECT_EQ(ruleError("CE-1"),
              "time zone rule 'CE-1' at position 3: expected the standard time name (3 or more "
              "letters or <...>)");
}

TEST(RefusedRules, OutOfRangeFields) {
    const auto mentions = [](std::string_view rule, std::string_view problem) {
        const std::string message = ruleError(rule);
        EXPECT_NE(message.find(problem), std::string::npos) << rule << " -> " << message;
    };
    mentions("CET-1CEST,M13.5.0,M10.5.0/3", "the summer time start month must be 1-12");
    mentions("CET-1CEST,M3.6.0,M10.5.0/3", "the summer time start week must be 1-5");
    mentions("CET-1CEST,M3.5.7,M10.5.0/3", "the summer time start weekday must be 0-6");
    mentions("CET-25", "the standard time offset hours 25 are over 24");
    mentions("CET-1CEST,M3.5.0,M10.5.0/168", "the summer time end time hours 168 are over 167");
    mentions("CET-1:60", "the standard time offset minutes are over 59");
    mentions("<CE-1", "'>' closing the standard time name");
    mentions("CET-1CEST\x01,M3.5.0,M10.5.0/3", "'CET-1CEST?,M3.5.0,M10.5.0/3'");  // no raw control bytes
}

}  // namespace
}  // namespace passerelle::schedule
