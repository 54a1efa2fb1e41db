// The console's browser sessions on an injected clock: the idle limit, the
// absolute lifetime after login (console.session_hours) that activity cannot
// extend, and a CSRF token per session.

#include "console/console_session.h"

#include <gtest/gtest.h>

namespace passerelle::console {
namespace {

using namespace std::chrono_literals;

class SessionRegistryTest : public ::testing::Test {
protected:
    SessionRegistry::Clock::time_point now{std::chrono::hours(1000)};
    SessionRegistry sessions{std::chrono::hours(8), [this] { return now; }};
};

TEST_F(SessionRegistryTest, ASessionEndsAtItsLifetimeHoweverActiveItIs) {
    const auto opened = sessions.open();
    // A request every 20 minutes keeps it clear of the idle limit...
    for (auto elapsed = 20min; elapsed < 8h; elapsed += 20min) {
        now += 20min;
        ASSERT_TRUE(sessions.touch(opened.id)) << "still live after " << elapsed.count() << " minutes";
    }
    // ...until 8 hours after login.
    now += 20min;
    EXPECT_FALSE(sessions.touch(opened.id)) << "a session outlived console.session_hours";
    const auto again = sessions.open();
    EXPECT_NE(again.id, opened.id);
    EXPECT_TRUE(sessions.touch(again.id)) << "logging in again opens a new session";
}

TEST_F(SessionRegistryTest, ASessionLapsesAfterItsIdleLimit) {
    const auto opened = sessions.open();
    now += SessionRegistry::kIdleLimit - 1s;
    EXPECT_TRUE(sessions.touch(opened.id));
    now += SessionRegistry::kIdleLimit;
    EXPECT_FALSE(sessions.touch(opened.id));
}

TEST_F(SessionRegistryTest, EachSessionHasItsOwnCsrfTokenUntilItCloses) {
    const auto a = sessions.open();
    const auto b = sessions.open();
    EXPECT_EQ(a.csrfToken.size(), 64u);
    EXPECT_NE(a.csrfToken, b.csrfToken);
    EXPECT_NE(a.csrfToken, a.id);
    EXPECT_EQ(sessions.touch(a.id).value_or(""), a.csrfToken);
    sessions.close(a.id);
    EXPECT_FALSE(sessions.touch(a.id));
    EXPECT_EQ(sessions.touch(b.id).value_or(""), b.csrfToken);
    EXPECT_FALSE(sessions.touch("not-a-session"));
}

}  // namespace
}  // namespace passerelle::console
