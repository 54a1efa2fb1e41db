#pragma once
// Calendar dates as the Region's exports name them: a civil date, no time, no
// zone, and the month windows a run selects records by.

#include <string>
#include <utility>

namespace passerelle::schedule {

struct LocalDate {
    int year = 1970;
    unsigned month = 1;  // 1-12
    unsigned day = 1;    // 1-31

    friend bool operator==(const LocalDate&, const LocalDate&) = default;
};

// "2026-03-01".
std::string formatIsoDate(LocalDate date);

// The first and last day ("YYYY-MM-DD") of the calendar month `months` months
// before the month of `runDay`: for trainees who left N months before the run.
// A run on 2026-03-01 with 6 gives {"2025-09-01", "2025-09-30"}; 0 gives the
// run's own month. Throws ConfigError when `months` is over 1200 (a hundred
// years is a typo, not a policy) and std::invalid_argument for a date that does
// not exist.
std::pair<std::string, std::string> exitWindowMonthsAgo(LocalDate runDay, unsigned months);

}  // namespace passerelle::schedule
