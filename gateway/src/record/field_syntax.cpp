#include "record/field_syntax.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace passerelle::record {

namespace {

// One table lookup per byte instead of a chain of comparisons: these checks run
// on every byte of every row.
enum CharClass : std::uint8_t {
    kDigitClass = 1,
    kUpperClass = 2,
    kLowerClass = 4,
    kAtomClass = 8,    // allowed in an e-mail local part (RFC 5322 atext)
    kPlainClass = 16,  // printable ASCII other than space
    kTrimClass = 32,   // may start or end a run to trim: ASCII white space, 0xC2 / 0xA0 of a no-break space
    kLabelClass = 64,  // allowed in a domain label: ASCII letter, digit, hyphen
};

constexpr std::array<std::uint8_t, 256> makeClassTable() {
    std::array<std::uint8_t, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[c] |= kDigitClass | kAtomClass;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kUpperClass | kAtomClass;
    for (int c = 'a'; c <= 'z'; ++c) t[c] |= kLowerClass | kAtomClass;
    for (char c : std::string_view("!#$%&'*+/=?^_`{|}~-")) t[static_cast<unsigned char>(c)] |= kAtomClass;
    for (int c = 0x21; c < 0x7F; ++c) t[c] |= kPlainClass;
    for (char c : std::string_view(" \t\n\r\v\f")) t[static_cast<unsigned char>(c)] |= kTrimClass;
    for (int c = 0; c < 0x80; ++c) {
        if (t[c] & (kDigitClass | kUpperClass | kLowerClass)) t[c] |= kLabelClass;
    }
    t['-'] |= kLabelClass;
    t[0xC2] |= kTrimClass;
    t[0xA0] |= kTrimClass;
    return t;
}
constexpr std::array<std::uint8_t, 256> kClass = makeClassTable();

constexpr bool hasClass(char c, std::uint8_t cls) { return (kClass[static_cast<unsigned char>(c)] & cls) != 0; }

constexpr bool isDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool isAlpha(char c) { return isUpper(c) || (c >= 'a' && c <= 'z'); }
constexpr char toLower(char c) { return isUpper(c) ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr bool isAsciiSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
constexpr auto u8(char c) { return static_cast<unsigned char>(c); }

bool allDigits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return isDigit(c); });
}

bool isNbspAt(std::string_view s, std::size_t i) {
    return i + 1 < s.size() && u8(s[i]) == 0xC2 && u8(s[i + 1]) == 0xA0;
}

bool equalsIgnoreCase(std::string_view a, std::string_view lowerB) {
    if (a.size() != lowerB.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (toLower(a[i]) != lowerB[i]) return false;
    }
    return true;
}

template <std::size_t N>
bool isOneOf(std::string_view value, const std::array<std::string_view, N>& words) {
    return std::find(words.begin(), words.end(), value) != words.end();
}

// Reads 1..maxDigits digits at s[pos..]; advances pos.
bool readNumber(std::string_view s, std::size_t& pos, std::size_t minDigits, std::size_t maxDigits, int& out) {
    std::size_t start = pos;
    out = 0;
    while (pos < s.size() && isDigit(s[pos]) && pos - start < maxDigits) {
        out = out * 10 + (s[pos] - '0');
        ++pos;
    }
    return pos - start >= minDigits;
}

bool isLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int y, int m) {
    static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeapYear(y) ? 29 : kDays[static_cast<std::size_t>(m - 1)];
}

// Length of the well-formed UTF-8 sequence starting at s[i], 0 when malformed:
// no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF.
std::size_t utf8SequenceLength(std::string_view s, std::size_t i) {
    const std::size_t n = s.size();
    auto cont = [&](std::size_t at, unsigned lo = 0x80, unsigned hi = 0xBF) {
        return at < n && u8(s[at]) >= lo && u8(s[at]) <= hi;
    };
    const unsigned c = u8(s[i]);
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        const unsigned lo = c == 0xE0 ? 0xA0 : 0x80;
        const unsigned hi = c == 0xED ? 0x9F : 0xBF;
        return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        const unsigned lo = c == 0xF0 ? 0x90 : 0x80;
        const unsigned hi = c == 0xF4 ? 0x8F : 0xBF;
        return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    }
    return 0;
}

// Nine national digits (the leading 0 dropped) -> +CC form.
ShortValue frenchE164(std::string_view nine) {
    struct Overseas {
        std::string_view prefix;
        std::string_view countryCode;
    };
    // Overseas departments dial like metropolitan France (0X...) but have their own
    // country codes; Mayotte shares +262 with Réunion, St-Martin/St-Barth +590.
    static constexpr std::array<Overseas, 14> kOverseas{{
        {"262", "+262"}, {"263", "+262"}, {"692", "+262"}, {"693", "+262"},  // Réunion
        {"269", "+262"}, {"639", "+262"},                                    // Mayotte
        {"590", "+590"}, {"690", "+590"}, {"691", "+590"},                   // Guadeloupe
        {"594", "+594"}, {"694", "+594"},                                    // Guyane
        {"596", "+596"}, {"696", "+596"}, {"697", "+596"},                   // Martinique
    }};
    // Every overseas prefix starts 26, 59, 69 or 63: most numbers (06 xx, 07, 01...) skip the table.
    constexpr auto mayBeOverseas = [](char a, char b) {
        return (a == '2' && b == '6') || (a == '5' && b == '9') || (a == '6' && (b == '9' || b == '3'));
    };
    static_assert(std::all_of(kOverseas.begin(), kOverseas.end(),
                              [=](const Overseas& o) { return mayBeOverseas(o.prefix[0], o.prefix[1]); }));
    ShortValue out;
    std::string_view code = "+33";
    if (mayBeOverseas(nine[0], nine[1])) {
        for (const Overseas& o : kOverseas) {
            if (nine[0] == o.prefix[0] && nine[1] == o.prefix[1] && nine[2] == o.prefix[2]) {
                code = o.countryCode;
                break;
            }
        }
    }
    out.append(code);
    out.append(nine);
    return out;
}

std::optional<ShortValue> frenchNational(std::string_view digits) {
    // "+33 (0)6 ..." and "0033 06 ..." carry a redundant trunk zero.
    if (digits.size() == 10 && digits[0] == '0') digits.remove_prefix(1);
    if (digits.size() != 9 || digits[0] == '0') return std::nullopt;
    return frenchE164(digits);
}

}  // namespace

std::string_view trimmed(std::string_view value) {
    if (value.empty() || (!hasClass(value.front(), kTrimClass) && !hasClass(value.back(), kTrimClass))) {
        return value;
    }
    std::size_t begin = 0;
    std::size_t end = value.size();
    while (begin < end) {
        if (isAsciiSpace(value[begin])) {
            ++begin;
        } else if (isNbspAt(value, begin)) {
            begin += 2;
        } else {
            break;
        }
    }
    while (end > begin) {
        if (isAsciiSpace(value[end - 1])) {
            --end;
        } else if (end - begin >= 2 && isNbspAt(value, end - 2)) {
            end -= 2;
        } else {
            break;
        }
    }
    return value.substr(begin, end - begin);
}

bool isValidUtf8(std::string_view s) {
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        // Most text is ASCII: skip it eight bytes at a time.
        while (i + 8 <= n) {
            std::uint64_t word;
            std::memcpy(&word, s.data() + i, sizeof word);
            if (word & 0x8080808080808080ULL) break;
            i += 8;
        }
        if (i == n) break;
        const std::size_t length = utf8SequenceLength(s, i);
        if (length == 0) return false;
        i += length;
    }
    return true;
}

std::optional<ShortValue> upperAscii(std::string_view value) {
    ShortValue out;
    for (char c : value) {
        if (!out.push(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c)) return std::nullopt;
    }
    return out;
}

DateProblem parseDate(std::string_view s, ShortValue& iso) {
    int year = 0;
    int month = 0;
    int day = 0;
    auto digit = [&](std::size_t at) { return isDigit(s[at]); };
    auto two = [&](std::size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); };
    // Where the day, month and year digits are, for the ISO copy below.
    std::string_view dayText;
    std::string_view monthText;
    std::string_view yearText;
    if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
        if (!(digit(0) && digit(1) && digit(2) && digit(3) && digit(5) && digit(6) && digit(8) && digit(9))) {
            return DateProblem::Syntax;
        }
        year = two(0) * 100 + two(2);
        month = two(5);
        day = two(8);
    } else if (s.size() == 10 && s[2] == '/' && s[5] == '/') {
        // dd/mm/yyyy, what most exports write: the general d/m/yyyy path below, unrolled.
        if (!(digit(0) && digit(1) && digit(3) && digit(4) && digit(6) && digit(7) && digit(8) && digit(9))) {
            return DateProblem::Syntax;
        }
        day = two(0);
        month = two(3);
        year = two(6) * 100 + two(8);
        dayText = s.substr(0, 2);
        monthText = s.substr(3, 2);
        yearText = s.substr(6, 4);
    } else {
        // d/m/yyyy with one or two digits for day and month.
        std::size_t pos = 0;
        if (!readNumber(s, pos, 1, 2, day)) return DateProblem::Syntax;
        dayText = s.substr(0, pos);
        if (pos >= s.size() || s[pos++] != '/') return DateProblem::Syntax;
        const std::size_t monthStart = pos;
        if (!readNumber(s, pos, 1, 2, month)) return DateProblem::Syntax;
        monthText = s.substr(monthStart, pos - monthStart);
        if (pos >= s.size() || s[pos++] != '/') return DateProblem::Syntax;
        const std::size_t yearStart = pos;
        if (!readNumber(s, pos, 4, 4, year) || pos != s.size()) return DateProblem::Syntax;
        yearText = s.substr(yearStart);
    }
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
        return DateProblem::NotACalendarDate;
    }
    if (year < kMinYear || year > kMaxYear) return DateProblem::YearOutOfRange;
    iso = ShortValue{};
    if (yearText.empty()) {
        iso.append(s);  // already ISO
        return DateProblem::None;
    }
    // Year, month and day are digits of the input: copy them, padding with '0'.
    // Built on the stack and appended once: cheaper than ten pushes.
    auto twoDigits = [](std::string_view text, char* out) {
        out[0] = text.size() == 1 ? '0' : text[0];
        out[1] = text.back();
    };
    char out[10];
    std::memcpy(out, yearText.data(), 4);
    out[4] = '-';
    twoDigits(monthText, out + 5);
    out[7] = '-';
    twoDigits(dayText, out + 8);
    iso.append({out, sizeof out});
    return DateProblem::None;
}

bool isEmail(std::string_view s) {
    // One pass, local part then domain: this runs on every row. Stopping the local
    // part at its first byte that is neither atext nor a dot, then refusing any
    // byte but letters, digits, '-' and '.' in the domain, also means exactly one '@'.
    const std::size_t n = s.size();
    if (n > 254) return false;
    std::size_t i = 0;
    char previous = '.';  // so a leading dot is refused
    for (; i < n; ++i) {
        const char c = s[i];
        if (c == '.') {
            if (previous == '.') return false;
        } else if (!hasClass(c, kAtomClass)) {
            break;
        }
        previous = c;
    }
    if (i == n || s[i] != '@' || i == 0 || i > 64 || previous == '.') return false;
    const std::size_t domainStart = i + 1;
    if (n - domainStart > 253) return false;

    std::size_t labelStart = domainStart;
    std::size_t labels = 0;
    for (std::size_t k = domainStart;; ++k) {
        if (k < n && s[k] != '.') {
            if (!hasClass(s[k], kLabelClass)) return false;
            continue;
        }
        const std::size_t length = k - labelStart;
        if (length == 0 || length > 63 || s[labelStart] == '-' || s[k - 1] == '-') return false;
        ++labels;
        if (k == n) {  // top-level label: letters only, at least two
            const std::string_view label = s.substr(labelStart, length);
            return length >= 2 && labels >= 2 && std::all_of(label.begin(), label.end(), isAlpha);
        }
        labelStart = k + 1;
    }
}

std::optional<ShortValue> e164Phone(std::string_view s) {
    constexpr std::size_t kMaxDigits = 20;
    char digitBuffer[kMaxDigits];
    std::size_t n = 0;
    bool plus = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (isDigit(c)) {
            if (n == kMaxDigits) return std::nullopt;
            digitBuffer[n++] = c;
        } else if (c == ' ' || c == '.' || c == '-' || c == '(' || c == ')' || c == '\t') {
            continue;
        } else if (isNbspAt(s, i)) {
            ++i;
        } else if (c == '+' && n == 0 && !plus) {
            plus = true;
        } else {
            return std::nullopt;
        }
    }
    const std::string_view digits{digitBuffer, n};
    if (plus) {
        if (digits.starts_with("33")) return frenchNational(digits.substr(2));
        if (n < 8 || n > 15 || digits[0] == '0') return std::nullopt;
        ShortValue out;
        out.push('+');
        out.append(digits);
        return out;
    }
    if (digits.starts_with("0033")) return frenchNational(digits.substr(4));
    if (n == 10 && digits[0] == '0') return frenchNational(digits);
    return std::nullopt;
}

bool isIne(std::string_view s) {
    if (s.size() != 11) return false;
    auto digitsThenLetters = [&](std::size_t digitCount) {
        return allDigits(s.substr(0, digitCount)) &&
               std::all_of(s.begin() + static_cast<std::ptrdiff_t>(digitCount), s.end(), isUpper);
    };
    if (digitsThenLetters(9) || digitsThenLetters(10)) return true;
    return allDigits(s.substr(0, 4)) && s[4] == 'A' && allDigits(s.substr(5, 5)) && isUpper(s[10]);
}

bool isUaiShape(std::string_view s) { return s.size() == 8 && allDigits(s.substr(0, 7)) && isUpper(s[7]); }

bool uaiCheckLetterMatches(std::string_view s) {
    constexpr std::string_view kLetters = "ABCDEFGHJKLMNPRSTUVWXYZ";  // 23 letters: no I, O, Q
    int number = 0;
    for (char c : s.substr(0, 7)) number = number * 10 + (c - '0');
    return s[7] == kLetters[static_cast<std::size_t>(number % 23)];
}

bool isFranceTravailId(std::string_view s) {
    return s.size() >= 7 && s.size() <= 11 &&
           std::all_of(s.begin(), s.end(), [](char c) { return isDigit(c) || isUpper(c); });
}

bool isPostalCode(std::string_view s) { return s.size() == 5 && allDigits(s); }

bool isCommuneInsee(std::string_view s) {
    if (s.size() != 5 || !allDigits(s.substr(2))) return false;
    return allDigits(s.substr(0, 2)) || s.substr(0, 2) == "2A" || s.substr(0, 2) == "2B";
}

bool isPrefixedNumber(std::string_view s, std::string_view prefix) {
    return s.size() > prefix.size() && s.size() <= prefix.size() + 9 && s.starts_with(prefix) &&
           allDigits(s.substr(prefix.size()));
}

bool isFormacode(std::string_view s) { return s.size() == 5 && allDigits(s); }

bool isStudentNumber(std::string_view s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7F; });
}

bool isProgramme(std::string_view s) {
    static constexpr std::array<std::string_view, 3> kValues{"FORPRO_SUP", "DAEU", "CAPACITE_DROIT"};
    return isOneOf(s, kValues);
}

bool isCertificationResult(std::string_view s) {
    static constexpr std::array<std::string_view, 4> kValues{"OBTAINED", "PARTIAL", "FAILED", "PENDING"};
    return isOneOf(s, kValues);
}

bool isInsertionStatus(std::string_view s) {
    static constexpr std::array<std::string_view, 11> kValues{
        "EMPLOYED_PERMANENT",    "EMPLOYED_FIXED_6M_PLUS",    "EMPLOYED_FIXED_UNDER_6M", "TEMPING",
        "WORK_STUDY",            "SELF_EMPLOYED",             "IN_TRAINING",             "JOB_SEEKER_REGISTERED",
        "UNEMPLOYED_NOT_REGISTERED", "INACTIVE",              "NO_ANSWER"};
    return isOneOf(s, kValues);
}

std::optional<bool> parseYesNo(std::string_view s) {
    for (std::string_view yes : {"true", "oui", "yes", "vrai", "1"}) {
        if (equalsIgnoreCase(s, yes)) return true;
    }
    for (std::string_view no : {"false", "non", "no", "faux", "0"}) {
        if (equalsIgnoreCase(s, no)) return false;
    }
    return std::nullopt;
}

bool hasAsciiLower(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return hasClass(c, kLowerClass); });
}

TextProblem collapseText(std::string_view s, bool lineBreaksAreSpace, std::size_t maxBytes, char* out,
                         std::size_t& outSize, bool& rewritten) {
    // Fast path: find the first byte that is not plain text or a lone space.
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        const char c = s[i];
        if (hasClass(c, kPlainClass)) {
            ++i;
        } else if (c == ' ' && i + 1 < n &&
                   (hasClass(s[i + 1], kPlainClass) || (u8(s[i + 1]) >= 0x80 && u8(s[i + 1]) != 0xC2))) {
            ++i;  // a lone space between words
        } else if (u8(c) == 0xC2 && i + 1 < n && u8(s[i + 1]) > 0xA0 && u8(s[i + 1]) <= 0xBF) {
            i += 2;  // a Latin-1 letter or sign, not a no-break space nor a C1 control
        } else if (u8(c) >= 0x80 && u8(c) != 0xC2) {
            const std::size_t length = utf8SequenceLength(s, i);
            if (length == 0) return TextProblem::InvalidUtf8;
            i += length;
        } else {
            break;
        }
    }
    rewritten = false;
    outSize = 0;
    if (i == n) return n > maxBytes ? TextProblem::TooLong : TextProblem::None;

    rewritten = true;
    if (i > maxBytes) return TextProblem::TooLong;
    std::memcpy(out, s.data(), i);
    outSize = i;
    bool pendingSpace = false;
    for (; i < n; ++i) {
        const char c = s[i];
        const unsigned b = u8(c);
        if (c == ' ' || c == '\t' || (lineBreaksAreSpace && (c == '\n' || c == '\r'))) {
            pendingSpace = outSize > 0;
            continue;
        }
        if (isNbspAt(s, i)) {
            pendingSpace = outSize > 0;
            ++i;
            continue;
        }
        if (b < 0x20 || b == 0x7F) return TextProblem::ControlCharacter;
        const std::size_t length = utf8SequenceLength(s, i);
        if (length == 0) return TextProblem::InvalidUtf8;
        if (b == 0xC2 && u8(s[i + 1]) <= 0x9F) return TextProblem::ControlCharacter;  // C1, U+0080..U+009F
        if (outSize + (pendingSpace ? 1 : 0) + length > maxBytes) return TextProblem::TooLong;
        if (pendingSpace) {
            out[outSize++] = ' ';
            pendingSpace = false;
        }
        std::memcpy(out + outSize, s.data() + i, length);
        outSize += length;
        i += length - 1;
    }
    return TextProblem::None;
}

}  // namespace passerelle::record
