#include "schedule/cron.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <span>
#include <vector>

#include "common/errors.h"
#include "schedule/paris_time.h"

namespace passerelle::schedule {

using std::chrono::sys_seconds;

namespace {

// How far nextAfter looks before it calls an expression impossible: long
// enough for a 29 February, short enough to stay well under a millisecond.
constexpr std::chrono::days kSearchHorizon{5 * 365 + 2};

constexpr std::array<std::string_view, 12> kMonthNames{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

constexpr int kDayOfWeekField = 5;

struct FieldSpec {
    int number;  // 1-based position, as messages name it
    std::string_view name;
    unsigned min;
    unsigned max;
    std::span<const std::string_view> names;  // names[i] is min + i
    std::string_view namesHint;
};

constexpr std::array<FieldSpec, 5> kFields{{
    {1, "minute", 0, 59, {}, {}},
    {2, "hour", 0, 23, {}, {}},
    {3, "day-of-month", 1, 31, {}, {}},
    {4, "month", 1, 12, kMonthNames, "a month name JAN-DEC"},
    {5, "day-of-week", 0, 7, kDayNames, "a day name SUN-SAT"},
}};

struct Macro {
    std::string_view name;
    std::string_view fields;
};

constexpr std::array<Macro, 5> kMacros{{
    {"@hourly", "0 * * * *"},
    {"@daily", "0 0 * * *"},
    {"@weekly", "0 0 * * 0"},
    {"@monthly", "0 0 1 * *"},
    {"@yearly", "0 0 1 1 *"},
}};

bool isSpace(char c) { return c == ' ' || c == '\t'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    return text;
}

std::vector<std::string_view> splitFields(std::string_view text) {
    std::vector<std::string_view> fields;
    std::size_t pos = 0;
    while (pos < text.size()) {
        while (pos < text.size() && isSpace(text[pos])) ++pos;
        const std::size_t start = pos;
        while (pos < text.size() && !isSpace(text[pos])) ++pos;
        if (pos > start) fields.push_back(text.substr(start, pos - start));
    }
    return fields;
}

// One field into a bit set of the values it matches (bit v for value v).
class FieldParser {
public:
    FieldParser(const FieldSpec& spec, std::string_view field) : spec_(spec), field_(field) {}

    std::uint64_t parse() const {
        std::uint64_t bits = 0;
        std::size_t start = 0;
        for (;;) {
            const std::size_t comma = field_.find(',', start);
            bits |= item(field_.substr(start, comma == std::string_view::npos ? comma : comma - start));
            if (comma == std::string_view::npos) return bits;
            start = comma + 1;
        }
    }

private:
    [[noreturn]] void fail(std::string_view item, const std::string& problem) const {
        std::string message = "cron field " + std::to_string(spec_.number) + " (" + std::string(spec_.name) +
                              ") '" + std::string(item) + "'";
        if (item != field_) message += " in '" + std::string(field_) + "'";
        throw ConfigError(message + ": " + problem);
    }

    std::string range() const { return std::to_string(spec_.min) + "-" + std::to_string(spec_.max); }

    // '*', 'a', 'a-b', each optionally '/step' except the single value.
    std::uint64_t item(std::string_view item) const {
        if (item.empty()) fail(item, "empty list item");
        const std::size_t slash = item.find('/');
        const std::string_view span = item.substr(0, slash);
        unsigned low = spec_.min;
        unsigned high = spec_.max;
        if (span != "*") {
            const std::size_t dash = span.find('-');
            low = value(item, span.substr(0, dash));
            high = dash == std::string_view::npos ? low : value(item, span.substr(dash + 1));
            // A day-of-week range may end on Sunday as 0 or SUN: FRI-SUN is 5-7.
            const bool isRange = dash != std::string_view::npos;
            if (spec_.number == kDayOfWeekField && isRange && high == 0 && low > 0) high = 7;
            if (low > high) {
                fail(item,
                     "range start " + std::to_string(low) + " is after its end " + std::to_string(high));
            }
            if (dash == std::string_view::npos && slash != std::string_view::npos) {
                const std::string step(item.substr(slash));
                fail(item, "a step needs a range: write '" + std::string(span) + "-" +
                               std::to_string(spec_.max) + step + "' or '*" + step + "'");
            }
        }
        unsigned step = 1;
        if (slash != std::string_view::npos) {
            const std::string_view text = item.substr(slash + 1);
            if (text.empty() || !std::all_of(text.begin(), text.end(), isDigit)) {
                fail(item, "expected a step number after '/'");
            }
            step = number(text);
            if (step == 0) fail(item, "step must be at least 1");
            if (step > spec_.max - spec_.min) {
                fail(item, "step " + std::to_string(step) + " is larger than the range " + range());
            }
        }
        std::uint64_t bits = 0;
        for (unsigned v = low; v <= high; v += step) bits |= std::uint64_t{1} << v;
        return bits;
    }

    // Saturates: a long number is out of range, not an overflow.
    static unsigned number(std::string_view digits) {
        unsigned value = 0;
        for (char c : digits) value = std::min(value * 10 + static_cast<unsigned>(c - '0'), 1000u);
        return value;
    }

    // "'2-x': " when the bad token is only part of the item. Built by append:
    // GCC 12 warns falsely (-Wrestrict, PR 105329) on "literal" + std::string.
    static std::string tokenPrefix(std::string_view item, std::string_view token) {
        std::string prefix;
        if (token != item) prefix.append("'").append(token).append("': ");
        return prefix;
    }

    unsigned value(std::string_view item, std::string_view token) const {
        std::string expected = "a number";
        if (!spec_.names.empty()) expected.append(" or ").append(spec_.namesHint);
        if (token.empty()) {
            fail(item, "expected " + expected + (item.size() > 1 ? " on both sides of '-'" : ""));
        }
        if (std::all_of(token.begin(), token.end(), isDigit)) {
            const unsigned v = number(token);
            if (v < spec_.min || v > spec_.max) {
                fail(item, tokenPrefix(item, token) + "out of range " + range());
            }
            return v;
        }
        const bool word = std::all_of(token.begin(), token.end(), [](char c) {
            return std::isalpha(static_cast<unsigned char>(c)) != 0;
        });
        if (word && !spec_.names.empty()) {
            std::string upper(token);
            for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            for (std::size_t i = 0; i < spec_.names.size(); ++i) {
                if (spec_.names[i] == upper) return spec_.min + static_cast<unsigned>(i);
            }
            std::string problem = "unknown name '";
            problem.append(token).append("': expected ").append(spec_.namesHint);
            fail(item, problem);
        }
        fail(item, tokenPrefix(item, token) + "expected " + expected +
                       ", '*', a range a-b, a list a,b or a step */n");
    }

    const FieldSpec& spec_;
    std::string_view field_;
};

template <std::size_t N>
std::optional<unsigned> firstSetFrom(const std::bitset<N>& bits, unsigned from) {
    for (unsigned i = from; i < N; ++i) {
        if (bits[i]) return i;
    }
    return std::nullopt;
}

}  // namespace

CronExpression CronExpression::parse(std::string_view text) {
    const std::string_view trimmed = trim(text);
    if (trimmed.empty()) {
        throw ConfigError(
            "cron expression is empty: expected 5 fields (minute hour day-of-month month day-of-week) "
            "or a macro such as @daily");
    }
    std::string_view expanded = trimmed;
    if (trimmed.front() == '@') {
        const auto macro =
            std::find_if(kMacros.begin(), kMacros.end(), [&](const Macro& m) { return m.name == trimmed; });
        if (macro == kMacros.end()) {
            throw ConfigError("cron macro '" + std::string(trimmed) +
                              "' is unknown: expected @hourly, @daily, @weekly, @monthly or @yearly");
        }
        expanded = macro->fields;
    }
    const std::vector<std::string_view> fields = splitFields(expanded);
    if (fields.size() != kFields.size()) {
        throw ConfigError("cron expression '" + std::string(trimmed) +
                          "': expected 5 fields (minute hour day-of-month month day-of-week), found " +
                          std::to_string(fields.size()) +
                          (fields.size() == 6 ? " (seconds and years are not supported)" : ""));
    }

    CronExpression cron;
    cron.text_ = std::string(trimmed);
    std::array<std::uint64_t, 5> bits{};
    for (std::size_t i = 0; i < kFields.size(); ++i) bits[i] = FieldParser(kFields[i], fields[i]).parse();
    cron.minutes_ = bits[0];
    cron.hours_ = bits[1];
    cron.daysOfMonth_ = bits[2];
    cron.months_ = bits[3];
    cron.daysOfWeek_ = (bits[4] | (bits[4] >> 7)) & 0x7f;  // 7 is Sunday too
    cron.hourPeriodic_ = fields[1].front() == '*';
    cron.dayOfMonthStar_ = fields[2].front() == '*';
    cron.dayOfWeekStar_ = fields[4].front() == '*';
    return cron;
}

bool CronExpression::dayMatches(std::chrono::local_days day) const {
    const std::chrono::year_month_day ymd{day};
    const bool dayOfMonth = daysOfMonth_[static_cast<unsigned>(ymd.day())];
    const bool dayOfWeek = daysOfWeek_[std::chrono::weekday{day}.c_encoding()];
    if (dayOfMonthStar_ || dayOfWeekStar_) return dayOfMonth && dayOfWeek;
    return dayOfMonth || dayOfWeek;  // Vixie: both restricted, either will do
}

std::optional<CronExpression::LocalMinutes> CronExpression::nextMatchingWallTime(LocalMinutes from,
                                                                                 LocalMinutes limit) const {
    using namespace std::chrono;
    LocalMinutes wall = from;
    while (wall <= limit) {
        const local_days day = floor<days>(wall);
        const year_month_day ymd{day};
        if (!months_[static_cast<unsigned>(ymd.month())]) {
            wall = local_days{(ymd.year() / ymd.month() + std::chrono::months{1}) / 1};
            continue;
        }
        if (!dayMatches(day)) {
            wall = day + days{1};
            continue;
        }
        const auto minuteOfDay = static_cast<unsigned>((wall - day).count());
        const unsigned hour = minuteOfDay / 60;
        const unsigned minute = minuteOfDay % 60;
        if (!hours_[hour]) {
            const auto nextHour = firstSetFrom(hours_, hour + 1);
            wall = nextHour ? day + hours{*nextHour} : day + days{1};
            continue;
        }
        if (!minutes_[minute]) {
            const auto nextMinute = firstSetFrom(minutes_, minute + 1);
            wall = nextMinute ? day + hours{hour} + minutes{*nextMinute} : day + hours{hour + 1};
            continue;
        }
        return wall;
    }
    return std::nullopt;
}

std::optional<sys_seconds> CronExpression::runInstant(LocalMinutes wall, const TimeZoneRule& zone,
                                                      sys_seconds after) const {
    const WallTimeInstants instants = zone.toUtc(wall);
    switch (instants.kind) {
        case WallTimeInstants::Kind::Unique:
            if (instants.earliest > after) return instants.earliest;
            break;
        case WallTimeInstants::Kind::Ambiguous:
            if (instants.earliest > after) return instants.earliest;
            if (hourPeriodic_ && instants.latest > after) return instants.latest;
            break;
        case WallTimeInstants::Kind::Nonexistent:
            if (!hourPeriodic_ && instants.earliest > after) return instants.earliest;
            break;
    }
    return std::nullopt;
}

std::optional<sys_seconds> CronExpression::nextAfter(sys_seconds after) const {
    return nextAfter(after, parisTimeZone());
}

std::optional<sys_seconds> CronExpression::nextAfter(sys_seconds after, const TimeZoneRule& zone) const {
    using namespace std::chrono;
    // Walk matching wall times in wall order. A run after `after` shows a wall
    // time after `after + minOffset`; around a change of offset wall order is
    // not time order, so keep the earliest run found until no later wall time
    // can beat it: a wall time w runs no earlier than w - maxOffset.
    const LocalMinutes first = floor<minutes>(local_seconds{(after + zone.minOffset()).time_since_epoch()});
    LocalMinutes limit = first + kSearchHorizon;
    std::optional<sys_seconds> best;
    LocalMinutes from = first;
    while (const std::optional<LocalMinutes> wall = nextMatchingWallTime(from, limit)) {
        const std::optional<sys_seconds> run = runInstant(*wall, zone, after);
        if (run && (!best || *run < *best)) {
            best = run;
            limit =
                std::min(limit, floor<minutes>(local_seconds{best->time_since_epoch()} + zone.maxOffset()));
        }
        from = *wall + minutes{1};
    }
    return best;
}

}  // namespace passerelle::schedule
