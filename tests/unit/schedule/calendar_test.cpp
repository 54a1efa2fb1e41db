// The exit-date window of a run: "trainees who left N months before".

#include "schedule/calendar.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "schedule_test_support.h"

namespace passerelle::schedule {
namespace {

using Window = std::pair<std::string, std::string>;

TEST(ExitWindow, WholeCalendarMonthNMonthsBeforeTheRun) {
    EXPECT_EQ(exitWindowMonthsAgo({2026, 3, 1}, 6), (Window{"2025-09-01", "2025-09-30"}));
    EXPECT_EQ(exitWindowMonthsAgo({2026, 3, 31}, 6), (Window{"2025-09-01", "2025-09-30"}));
    EXPECT_EQ(exitWindowMonthsAgo({2026, 8, 17}, 3), (Window{"2026-05-01", "2026-05-31"}));
}

TEST(ExitWindow, YearWrap) {
    EXPECT_EQ(exitWindowMonthsAgo({2026, 1, 10}, 1), (Window{"2025-12-01", "2025-12-31"}));
    EXPECT_EQ(exitWindowMonthsAgo({2026, 1, 10}, 13), (Window{"2024-12-01", "2024-12-31"}));
    EXPECT_EQ(exitWindowMonthsAgo({2026, 5, 20}, 24), (Window{"2024-05-01", "2024-05-31"}));
    EXPECT_EQ(exitWindowMonthsAgo({2026, 1, 10}, 0), (Window{"2026-01-01", "2026-01-31"}));
}

TEST(ExitWindow, MonthLengthsAndLeapYears) {
    EXPECT_EQ(exitWindowMonthsAgo({2026, 5, 31}, 1), (Window{"2026-04-01", "2026-04-30"}));
    EXPECT_EQ(exitWindowMonthsAgo({2026, 3, 31}, 1), (Window{"2026-02-01", "2026-02-28"}));
    EXPECT_EQ(exitWindowMonthsAgo({2024, 3, 15}, 1), (Window{"2024-02-01", "2024-02-29"}));
    EXPECT_EQ(exitWindowMonthsAgo({2100, 3, 1}, 1), (Window{"2100-02-01", "2100-02-28"}));  // not a leap year
    EXPECT_EQ(exitWindowMonthsAgo({2000, 3, 1}, 1), (Window{"2000-02-01", "2000-02-29"}));  // is one
    EXPECT_EQ(exitWindowMonthsAgo({2028, 8, 29}, 6), (Window{"2028-02-01", "2028-02-29"}));
}

TEST(ExitWindow, RefusesNonsense) {
    EXPECT_EQ(testing::configErrorOf([] {
                  exitWindowMonthsAgo({2026, 3, 1}, 1201);
              }),
              "exit window: 1201 months back is more than the 1200 allowed");
    EXPECT_NO_THROW(exitWindowMonthsAgo({2026, 3, 1}, 1200));
    EXPECT_THROW(exitWindowMonthsAgo({2026, 2, 30}, 1), std::invalid_argument);
    EXPECT_THROW(exitWindowMonthsAgo({2026, 13, 1}, 1), std::invalid_argument);
}

TEST(ExitWindow, IsoDates) {
    EXPECT_EQ(formatIsoDate({2026, 3, 1}), "2026-03-01");
    EXPECT_EQ(formatIsoDate({987, 12, 31}), "0987-12-31");
}

}  // namespace
}  // namespace passerelle::schedule
