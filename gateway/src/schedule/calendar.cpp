#include "schedule/calendar.h"

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "common/errors.h"

namespace passerelle::schedule {

namespace {

constexpr unsigned kMaxMonthsBack = 1200;

LocalDate toLocalDate(std::chrono::year_month_day ymd) {
    return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
            static_cast<unsigned>(ymd.day())};
}

}  // namespace

std::string formatIsoDate(LocalDate date) {
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", date.year, date.month, date.day);
    return text;
}

std::pair<std::string, std::string> exitWindowMonthsAgo(LocalDate runDay, unsigned months) {
    using namespace std::chrono;
    const year_month_day run{year{runDay.year}, month{runDay.month}, day{runDay.day}};
    if (!run.ok()) {
        throw std::invalid_argument("exit window: run day " + formatIsoDate(runDay) +
                                    " is not a calendar date");
    }
    if (months > kMaxMonthsBack) {
        throw ConfigError("exit window: " + std::to_string(months) + " months back is more than the " +
                          std::to_string(kMaxMonthsBack) + " allowed");
    }
    // Calendar arithmetic on year_month: no day-of-month overflow, years wrap.
    const year_month exitMonth = run.year() / run.month() - std::chrono::months{months};
    return {formatIsoDate(toLocalDate(exitMonth / 1)), formatIsoDate(toLocalDate(exitMonth / last))};
}

}  // namespace passerelle::schedule
