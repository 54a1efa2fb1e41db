// libFuzzer target for cron expressions (gateway/src/schedule/cron.cpp, docs/fuzzing.md):
// the `schedule` of a job, read from the configuration. The first 4 bytes give the
// instant to search from (seconds after 2000-01-01 UTC, so 2000 to 2136), the rest is
// the expression. Accepted: the next run on the Europe/Paris clock is strictly after that
// instant, at a whole minute, and searching again from one second before it finds it
// again (no run is skipped); text() is the expression trimmed, and parses the same.
// A refusal is a ConfigError; any other exception is a finding.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/errors.h"
#include "fuzz_support.h"
#include "schedule/cron.h"
#include "schedule/paris_time.h"

using namespace passerelle;
using namespace passerelle::schedule;
using namespace std::chrono;

namespace {

constexpr const char* kTarget = "fuzz_cron";

void check(sys_seconds after, std::string_view text) {
    const CronExpression cron = CronExpression::parse(text);
    const CronExpression again = CronExpression::parse(cron.text());
    const std::optional<sys_seconds> next = cron.nextAfter(after);
    if (again.text() != cron.text() || again.nextAfter(after) != next) {
        fuzz::finding(kTarget, "an expression's text() parses to another schedule");
    }
    if (!next) return;  // none within about five years ('0 0 31 2 *')
    if (*next <= after) fuzz::finding(kTarget, "the next run is not after the instant searched from");
    if (next->time_since_epoch() % minutes{1} != seconds{0}) fuzz::finding(kTarget, "a run is not at a whole minute");
    if (cron.nextAfter(*next - seconds{1}) != next) fuzz::finding(kTarget, "searching again skips the next run");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)parisTimeZone();  // the system's zone file, read once
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4) return 0;
    const std::uint32_t offset = static_cast<std::uint32_t>(data[0]) << 24 | static_cast<std::uint32_t>(data[1]) << 16 |
                                 static_cast<std::uint32_t>(data[2]) << 8 | data[3];
    const sys_seconds after = sys_days{2000y / January / 1} + seconds{offset};
    try {
        check(after, std::string_view(reinterpret_cast<const char*>(data + 4), size - 4));
    } catch (const ConfigError& e) {
        fuzz::explainRefusal(e.what());
    }
    return 0;
}
