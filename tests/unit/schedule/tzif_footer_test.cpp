// Where the Paris rule comes from: the footer of the system's TZif file, or the
// built-in rule when there is none, and a clear error for a damaged file. Then
// the whole Paris conversion checked against the C library for 2024-2027.

#include "schedule/tzif_footer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "schedule/paris_time.h"
#include "schedule_test_support.h"

namespace passerelle::schedule {
namespace {

namespace fs = std::filesystem;
using testing::configErrorOf;
using testing::utc;

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "passerelle-schedule-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const fs::path& path() const { return path_; }

    fs::path write(const std::string& name, const std::string& bytes) const {
        fs::path file = path_ / name;
        std::ofstream(file, std::ios::binary) << bytes;
        return file;
    }

private:
    fs::path path_;
};

// A minimal TZif header and data block: no transitions and no leap seconds
// (so the same bytes for 32- and 64-bit times), one local time type, "UTC\0".
std::string tzifBlock(char version) {
    std::string header = "TZif";
    header += version;
    header += std::string(15, '\0');
    const unsigned counts[6] = {0, 0, 0, 0, 1, 4};  // isut, isstd, leap, time, type, char
    for (unsigned count : counts) {
        header += std::string{'\0', '\0', '\0', static_cast<char>(count)};
    }
    const std::string utcType{'\0', '\0', '\0', '\0', '\0', '\0'};
    return header + utcType + std::string("UTC\0", 4);
}

std::string tzifVersion1() { return tzifBlock('\0'); }

// Version 2 with `footer` appended as is (normally "\n<rule>\n").
std::string tzifVersion2(const std::string& footer) { return tzifBlock('2') + tzifBlock('2') + footer; }

const fs::path kRealParis{std::string(kParisZoneFile)};

TEST(TzifFooter, RealParisFile) {
    if (!fs::exists(kRealParis)) GTEST_SKIP() << kRealParis << " is missing (install the tzdata package)";
    const std::optional<std::string> footer = readTzifFooter(kRealParis);
    ASSERT_TRUE(footer.has_value());
    EXPECT_EQ(*footer, kParisBuiltinRule) << "tzdata has a new rule for Paris: review kParisBuiltinRule";
    EXPECT_EQ(parisTimeZone().text(), *footer);
}

TEST(TzifFooter, VersionOneFileHasNoFooterSoTheBuiltinRuleApplies) {
    TempDir dir;
    const fs::path file = dir.write("v1", tzifVersion1());
    EXPECT_EQ(readTzifFooter(file), std::nullopt);
    EXPECT_EQ(loadTimeZoneRule(file, kParisBuiltinRule).text(), kParisBuiltinRule);
}

TEST(TzifFooter, EmptyFooterMeansTheBuiltinRule) {
    TempDir dir;
    const fs::path file = dir.write("empty-footer", tzifVersion2("\n\n"));
    EXPECT_EQ(readTzifFooter(file), std::nullopt);
    EXPECT_EQ(loadTimeZoneRule(file, kParisBuiltinRule).text(), kParisBuiltinRule);
}

TEST(TzifFooter, MissingFileMeansTheBuiltinRule) {
    TempDir dir;
    EXPECT_EQ(loadTimeZoneRule(dir.path() / "no-such-zone", kParisBuiltinRule).text(), kParisBuiltinRule);
}

TEST(TzifFooter, FooterRuleIsUsed) {
    TempDir dir;
    const fs::path file = dir.write("new-york", tzifVersion2("\nEST5EDT,M3.2.0,M11.1.0\n"));
    EXPECT_EQ(readTzifFooter(file), "EST5EDT,M3.2.0,M11.1.0");
    const TimeZoneRule rule = loadTimeZoneRule(file, kParisBuiltinRule);
    EXPECT_EQ(rule.text(), "EST5EDT,M3.2.0,M11.1.0");
    EXPECT_EQ(rule.toLocal(utc("2026-07-01T12:00:00Z")).hour, 8u);  // EDT, UTC-4
}

TEST(TzifFooter, UnsupportedFooterRuleIsAnErrorNamingTheFile) {
    TempDir dir;
    const fs::path file = dir.write("julian", tzifVersion2("\nCET-1CEST,J60,M10.5.0/3\n"));
    EXPECT_EQ(
        configErrorOf([&] { loadTimeZoneRule(file, kParisBuiltinRule); }),
        "time zone file '" + file.string() +
            "' footer: time zone rule 'CET-1CEST,J60,M10.5.0/3' at position 11: unsupported summer time "
            "start 'J60': only the Mm.w.d form is supported");
}

TEST(TzifFooter, MalformedFilesAreErrorsNamingTheFile) {
    TempDir dir;
    const auto errorFor = [&](const std::string& name, const std::string& bytes) {
        const fs::path file = dir.write(name, bytes);
        return configErrorOf([&] { loadTimeZoneRule(file, kParisBuiltinRule); });
    };
    const std::string prefix = "time zone file '" + dir.path().string() + "/";
    EXPECT_EQ(errorFor("unterminated", tzifVersion2("\nCET-1CEST,M3.5.0,M10.5.0/3")),
              prefix + "unterminated': footer is not terminated by a newline");
    EXPECT_EQ(errorFor("no-footer", tzifVersion2("")), prefix + "no-footer': ends before its footer");
    EXPECT_EQ(errorFor("no-newline", tzifVersion2("CET-1CEST,M3.5.0,M10.5.0/3\n")),
              prefix + "no-newline': footer does not start with a newline");
    EXPECT_EQ(errorFor("text", "Europe/Paris is UTC+1\n"),
              prefix + "text': not a TZif file (no 'TZif' magic at byte 0)");
    EXPECT_EQ(errorFor("short", "TZif2"), prefix + "short': truncated TZif header at byte 0");
    // The version 1 block is 44 + 10 bytes, then the version 2 header (44) and data (10).
    EXPECT_EQ(errorFor("cut-header", tzifVersion2("").substr(0, 70)),
              prefix + "cut-header': truncated TZif header at byte 54");
    EXPECT_EQ(errorFor("cut-data", tzifVersion2("").substr(0, 103)),
              prefix + "cut-data': truncated version 2 data");
    EXPECT_EQ(errorFor("empty", ""), prefix + "empty': not a TZif file (no 'TZif' magic at byte 0)");
    EXPECT_EQ(errorFor("garbage-rule", tzifVersion2("\n\x01\x02\n")),
              prefix +
                  "garbage-rule' footer: time zone rule '?"
                  "?' at position 1: expected the standard time name (3 "
                  "or more letters or <...>)");
}

// toParis() against glibc's localtime_r with TZ=Europe/Paris (which reads the
// file's explicit transitions, not its footer), every hour of 2024-2027.
TEST(ParisTime, MatchesTheCLibraryEveryHourOf2024To2027) {
    if (!fs::exists(kRealParis)) GTEST_SKIP() << kRealParis << " is missing (install the tzdata package)";

    const std::time_t first = std::chrono::system_clock::to_time_t(
        std::chrono::system_clock::time_point{utc("2024-01-01T00:00:00Z").time_since_epoch()});
    const std::time_t last = std::chrono::system_clock::to_time_t(
        std::chrono::system_clock::time_point{utc("2028-01-01T00:00:00Z").time_since_epoch()});

    // TZ is process-wide: set it once here, on the main thread, before any
    // other thread exists, and put it back.
    const char* previous = std::getenv("TZ");
    const std::optional<std::string> saved = previous ? std::optional<std::string>(previous) : std::nullopt;
    ::setenv("TZ", "Europe/Paris", 1);
    ::tzset();
    std::vector<std::tm> expected;
    for (std::time_t t = first; t < last; t += 3600) {
        std::tm tm{};
        localtime_r(&t, &tm);
        expected.push_back(tm);
    }
    if (saved) {
        ::setenv("TZ", saved->c_str(), 1);
    } else {
        ::unsetenv("TZ");
    }
    ::tzset();

    ASSERT_EQ(expected.size(), 35064u);  // 1461 days
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const std::chrono::sys_seconds t = utc("2024-01-01T00:00:00Z") + std::chrono::hours{i};
        const LocalTime ours = toParis(t);
        const std::tm& theirs = expected[i];
        const bool same =
            ours.year == theirs.tm_year + 1900 && ours.month == unsigned(theirs.tm_mon + 1) &&
            ours.day == unsigned(theirs.tm_mday) && ours.hour == unsigned(theirs.tm_hour) &&
            ours.minute == unsigned(theirs.tm_min) && ours.weekday == unsigned(theirs.tm_wday) &&
            ours.utcOffset.count() == theirs.tm_gmtoff && ours.daylightSaving == (theirs.tm_isdst > 0);
        if (!same && ++mismatches <= 5) ADD_FAILURE() << "differs from localtime_r at " << testing::iso(t);

        // And back: the wall time shows at t.
        const WallTimeInstants back = fromParis(ours.wallClock());
        EXPECT_TRUE(back.earliest == t || back.latest == t) << testing::iso(t);
    }
    EXPECT_EQ(mismatches, 0u);
}

}  // namespace
}  // namespace passerelle::schedule
