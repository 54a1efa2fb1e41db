#include "schedule/time_zone_rule.h"

#include <algorithm>
#include <cctype>

#include "common/errors.h"

namespace passerelle::schedule {

using std::chrono::seconds;
using std::chrono::sys_seconds;

namespace {

constexpr unsigned kMaxOffsetHours = 24;       // POSIX
constexpr unsigned kMaxTransitionHours = 167;  // RFC 8536 §3.3.1 extension
constexpr std::size_t kMaxQuotedLength = 80;

bool isAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// The rule as it may be quoted in a message: it can come from a damaged file.
std::string printable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, kMaxQuotedLength)) {
        out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
    }
    if (text.size() > kMaxQuotedLength) out += "...";
    return out;
}

}  // namespace

class TimeZoneRuleParser {
public:
    explicit TimeZoneRuleParser(std::string_view text) : text_(text) {}

    TimeZoneRule parse() {
        if (text_.empty()) fail("the rule is empty");
        TimeZoneRule rule;
        rule.text_ = std::string(text_);
        zoneName("standard time");
        rule.standardOffset_ = -offset("standard time");
        if (atEnd()) return rule;

        zoneName("summer time");
        TimeZoneRule::SummerTime summer;
        summer.offset = rule.standardOffset_ + std::chrono::hours{1};
        if (!atEnd() && peek() != ',') summer.offset = -offset("summer time");
        if (atEnd()) fail("a summer time needs its rule: ',Mm.w.d[/time],Mm.w.d[/time]'");
        expect(',', "a ',' before the summer time start");
        summer.start = transitionDate("summer time start");
        expect(',', "a ',' before the summer time end");
        summer.end = transitionDate("summer time end");
        if (!atEnd()) fail(std::string("unexpected '") + peek() + "' after the rule");
        rule.summer_ = summer;
        return rule;
    }

private:
    [[noreturn]] void fail(const std::string& problem) const {
        throw ConfigError("time zone rule '" + printable(text_) + "' at position " +
                          std::to_string(pos_ + 1) + ": " + problem);
    }

    bool atEnd() const { return pos_ >= text_.size(); }
    char peek() const { return atEnd() ? '\0' : text_[pos_]; }
    bool accept(char c) {
        if (peek() != c || atEnd()) return false;
        ++pos_;
        return true;
    }
    void expect(char c, const std::string& what) {
        if (!accept(c)) fail("expected " + what);
    }

    // Three or more letters, or <...> of letters, digits, '+' and '-'.
    void zoneName(const std::string& what) {
        const std::size_t start = pos_;
        if (accept('<')) {
            while (!atEnd() &&
                   (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '+' || peek() == '-')) {
                ++pos_;
            }
            if (pos_ - start - 1 < 3) fail("the " + what + " name needs at least 3 characters");
            expect('>', "'>' closing the " + what + " name");
            return;
        }
        while (!atEnd() && isAlpha(peek())) ++pos_;
        if (pos_ - start < 3) fail("expected the " + what + " name (3 or more letters or <...>)");
    }

    unsigned number(const std::string& what, unsigned maxDigits) {
        if (!isDigit(peek())) fail("expected a number for the " + what);
        unsigned value = 0;
        unsigned digits = 0;
        while (isDigit(peek())) {
            if (++digits > maxDigits) fail("too many digits in the " + what);
            value = value * 10 + static_cast<unsigned>(peek() - '0');
            ++pos_;
        }
        return value;
    }

    // [+-]hh[:mm[:ss]]
    seconds duration(const std::string& what, unsigned maxHours) {
        const bool negative = accept('-');
        if (!negative) accept('+');
        const unsigned h = number(what + " hours", 3);
        if (h > maxHours)
            fail("the " + what + " hours " + std::to_string(h) + " are over " + std::to_string(maxHours));
        unsigned m = 0;
        unsigned s = 0;
        if (accept(':')) {
            m = number(what + " minutes", 2);
            if (m > 59) fail("the " + what + " minutes are over 59");
            if (accept(':')) {
                s = number(what + " seconds", 2);
                if (s > 59) fail("the " + what + " seconds are over 59");
            }
        }
        const seconds total = std::chrono::hours{h} + std::chrono::minutes{m} + seconds{s};
        return negative ? -total : total;
    }

    // POSIX writes offsets west of UTC; the caller negates.
    seconds offset(const std::string& what) { return duration(what + " offset", kMaxOffsetHours); }

    TimeZoneRule::TransitionDate transitionDate(const std::string& what) {
        if (peek() != 'M') {
            const std::size_t end = std::min(text_.find_first_of(",/", pos_), text_.size());
            fail("unsupported " + what + " '" + printable(text_.substr(pos_, end - pos_)) +
                 "': only the Mm.w.d form is supported");
        }
        ++pos_;
        TimeZoneRule::TransitionDate date;
        date.month = number(what + " month", 2);
        if (date.month < 1 || date.month > 12) fail("the " + what + " month must be 1-12");
        expect('.', "'.' after the " + what + " month");
        date.week = number(what + " week", 1);
        if (date.week < 1 || date.week > 5) fail("the " + what + " week must be 1-5");
        expect('.', "'.' after the " + what + " week");
        date.weekday = number(what + " weekday", 1);
        if (date.weekday > 6) fail("the " + what + " weekday must be 0-6");
        if (accept('/')) date.time = duration(what + " time", kMaxTransitionHours);
        return date;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

TimeZoneRule TimeZoneRule::parse(std::string_view posixTz) { return TimeZoneRuleParser(posixTz).parse(); }

namespace {

// The UTC instant of a transition in a given year, `offsetBefore` being the
// offset in force when the local clock reaches the transition time.
sys_seconds transitionInstant(int year, unsigned month, unsigned week, unsigned weekday, seconds time,
                              seconds offsetBefore) {
    using namespace std::chrono;
    const year_month ym = std::chrono::year{year} / std::chrono::month{month};
    const std::chrono::weekday wd{weekday};
    const sys_days day = week == 5 ? sys_days{ym / wd[last]} : sys_days{ym / wd[week]};
    return day + time - offsetBefore;
}

}  // namespace

std::array<TimeZoneRule::Transition, 6> TimeZoneRule::transitionsAround(sys_seconds t) const {
    using namespace std::chrono;
    const int year = static_cast<int>(year_month_day{floor<days>(t + standardOffset_)}.year());
    std::array<Transition, 6> transitions;
    for (std::size_t i = 0; i < 3; ++i) {
        const int y = year - 1 + static_cast<int>(i);
        const TransitionDate& s = summer_->start;
        const TransitionDate& e = summer_->end;
        transitions[2 * i] = {transitionInstant(y, s.month, s.week, s.weekday, s.time, standardOffset_),
                              summer_->offset};
        transitions[2 * i + 1] = {transitionInstant(y, e.month, e.week, e.weekday, e.time, summer_->offset),
                                  standardOffset_};
    }
    return transitions;
}

seconds TimeZoneRule::offsetAt(sys_seconds t) const {
    if (!summer_) return standardOffset_;
    // The latest transition at or before t; one of the previous year always is.
    std::optional<Transition> latest;
    for (const Transition& transition : transitionsAround(t)) {
        if (transition.at <= t && (!latest || transition.at > latest->at)) latest = transition;
    }
    return latest ? latest->offsetAfter : standardOffset_;
}

seconds TimeZoneRule::minOffset() const {
    return summer_ ? std::min(standardOffset_, summer_->offset) : standardOffset_;
}

seconds TimeZoneRule::maxOffset() const {
    return summer_ ? std::max(standardOffset_, summer_->offset) : standardOffset_;
}

std::chrono::local_seconds LocalTime::wallClock() const {
    using namespace std::chrono;
    const local_days date{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}};
    return date + hours{hour} + minutes{minute} + seconds{second};
}

LocalTime TimeZoneRule::toLocal(sys_seconds t) const {
    using namespace std::chrono;
    const seconds offset = offsetAt(t);
    const local_seconds wall{(t + offset).time_since_epoch()};
    const local_days date = floor<days>(wall);
    const year_month_day ymd{date};
    const hh_mm_ss<seconds> time{wall - date};

    LocalTime local;
    local.year = static_cast<int>(ymd.year());
    local.month = static_cast<unsigned>(ymd.month());
    local.day = static_cast<unsigned>(ymd.day());
    local.hour = static_cast<unsigned>(time.hours().count());
    local.minute = static_cast<unsigned>(time.minutes().count());
    local.second = static_cast<unsigned>(time.seconds().count());
    local.weekday = weekday{date}.c_encoding();
    local.utcOffset = offset;
    local.daylightSaving = summer_ && offset == summer_->offset && offset != standardOffset_;
    return local;
}

WallTimeInstants TimeZoneRule::toUtc(std::chrono::local_seconds wall) const {
    const sys_seconds asStandard{wall.time_since_epoch() - standardOffset_};
    if (!summer_ || summer_->offset == standardOffset_) {
        return {WallTimeInstants::Kind::Unique, asStandard, asStandard};
    }
    const sys_seconds asSummer{wall.time_since_epoch() - summer_->offset};
    const bool standardShowsIt = offsetAt(asStandard) == standardOffset_;
    const bool summerShowsIt = offsetAt(asSummer) == summer_->offset;
    if (standardShowsIt && summerShowsIt) {
        return {WallTimeInstants::Kind::Ambiguous, std::min(asStandard, asSummer),
                std::max(asStandard, asSummer)};
    }
    if (standardShowsIt) return {WallTimeInstants::Kind::Unique, asStandard, asStandard};
    if (summerShowsIt) return {WallTimeInstants::Kind::Unique, asSummer, asSummer};

    // In a gap: the transition lies in (wall - new offset, wall - old offset].
    const sys_seconds low = std::min(asStandard, asSummer);
    const sys_seconds high = std::max(asStandard, asSummer);
    for (const Transition& transition : transitionsAround(low)) {
        if (transition.at > low && transition.at <= high) {
            return {WallTimeInstants::Kind::Nonexistent, transition.at, transition.at};
        }
    }
    return {WallTimeInstants::Kind::Nonexistent, high, high};  // unreachable for a consistent rule
}

}  // namespace passerelle::schedule
