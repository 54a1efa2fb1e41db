// source.rest when the API misbehaves: retried (5xx, timeouts), refused at once
// (403, malformed pages), logged in again (401), and bad records reported as
// row errors without stopping. No message quotes a token, password, filter
// date or data value.

#include <atomic>

#include "source_rest_support.h"

namespace passerelle::integration::rest {
namespace {

using SourceRestFailures = SourceRestTest;

const std::vector<std::string> kSecrets = {"tok-", kPassword, "Alpha-Test", "Bravo-Test", "E1001", "2025-"};

Script pages(std::vector<std::string> bodies) {
    return [bodies](const SeenRequest& r, int) {
        const std::size_t page = std::stoul(r.query.at("page"));
        return Reply{200, page <= bodies.size() ? bodies[page - 1] : "[]"};
    };
}

TEST_F(SourceRestFailures, AServerErrorIsRetriedAndEveryRowComesOnceInOrder) {
    const auto ok =
        pages({listOf({learner("E1001", "Alpha-Test")}), listOf({learner("E1002", "Bravo-Test")})});
    auto failures = std::make_shared<std::atomic<int>>(0);
    api().on("/v1/apprenants", [failures, ok](const SeenRequest& r, int call) {
        if (r.query.at("page") == "2" && (*failures)++ == 0) {
            return Reply{500, R"({"error":"synthetic outage"})"};
        }
        return ok(r, call);
    });
    const Drained d = drain(baseSettings("/v1/apprenants"));
    ASSERT_EQ(d.fatal, "");
    EXPECT_EQ(d.rows,
              (std::vector<Row>{learnerRow("E1001", "Alpha-Test"), learnerRow("E1002", "Bravo-Test")}));
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(api().requests("/v1/apprenants").size(), 4u) << "pages 1, 2 (500), 2 again, 3 (empty)";
}

TEST_F(SourceRestFailures, TooManyRequestsHonoursRetryAfterThenSucceeds) {
    api().on("/v1/apprenants", [](const SeenRequest&, int call) {
        if (call == 0) return Reply{429, "{}", "application/json", {{"Retry-After", "1"}}};
        return Reply{200, listOf({learner("E1001", "Alpha-Test")})};
    });
    const auto start = std::chrono::steady_clock::now();
    const Drained d = drain(baseSettings("/v1/apprenants", "none"));
    ASSERT_EQ(d.fatal, "");
    EXPECT_EQ(d.rows.size(), 1u);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms) << "Retry-After: 1 was not honoured";
}

TEST_F(SourceRestFailures, APageThatTimesOutOnceIsFetchedAgain) {
    api().on("/v1/apprenants", [](const SeenRequest&, int call) {
        Reply r{200, listOf({learner("E1001", "Alpha-Test"), learner("E1002", "Bravo-Test")})};
        if (call == 0) r.delay = 1500ms;
        return r;
    });
    Settings s = baseSettings("/v1/apprenants", "none");
    s.push_back({"timeout_seconds", "0.5"});
    const Drained d = drain(s);
    ASSERT_EQ(d.fatal, "");
    EXPECT_EQ(d.rows,
              (std::vector<Row>{learnerRow("E1001", "Alpha-Test"), learnerRow("E1002", "Bravo-Test")}));
    EXPECT_EQ(api().requests("/v1/apprenants").size(), 2u);
}

TEST_F(SourceRestFailures, AnApiThatStaysDownFailsAfterItsRetriesNamingThePage) {
    api().on("/v1/apprenants", always(Reply{503, "{}"}));
    Settings s = baseSettings("/v1/apprenants");
    s.push_back({"retries", "2"});
    const Drained d = drain(s);
    EXPECT_NE(d.fatal.find("page 1"), std::string::npos) << d.fatal;
    EXPECT_NE(d.fatal.find("3 attempts"), std::string::npos) << d.fatal;
    EXPECT_NE(d.fatal.find("503"), std::string::npos) << d.fatal;
    EXPECT_EQ(api().requests("/v1/apprenants").size(), 3u);
}

TEST_F(SourceRestFailures, ANonJsonPageIsFatalNamingThePageAndPathOnly) {
    api().on("/v1/apprenants",
             pages({listOf({learner("E1001", "Alpha-Test")}), "<html>Bravo-Test maintenance</html>"}));
    const psl_source_filter filter{"2025-01-01", "", ""};
    Settings s = baseSettings("/v1/apprenants");
    s.push_back({"filter.exit_from_param", "dateSortieMin"});
    const Drained d = drain(s, &filter);
    EXPECT_EQ(d.rows.size(), 1u);
    EXPECT_NE(d.fatal.find("page 2"), std::string::npos) << d.fatal;
    EXPECT_NE(d.fatal.find("/v1/apprenants"), std::string::npos) << d.fatal;
    EXPECT_NE(d.fatal.find("not JSON"), std::string::npos) << d.fatal;
    expectNoSecretIn(d.fatal, kSecrets);
    EXPECT_EQ(api().requests("/v1/apprenants").size(), 2u) << "a malformed page is not retried";
}

TEST_F(SourceRestFailures, ItemsPathThatIsNotAnArrayIsFatal) {
    api().on("/v1/apprenants", always(Reply{200, R"({"content":{"code":"E1001"}})"}));
    Settings s = baseSettings("/v1/apprenants", "none");
    s.push_back({"items_path", "content"});
    const Drained d = drain(s);
    EXPECT_NE(d.fatal.find("items_path 'content' is not an array"), std::string::npos) << d.fatal;
    EXPECT_NE(d.fatal.find("page 1"), std::string::npos) << d.fatal;
    expectNoSecretIn(d.fatal, kSecrets);
}

Settings withLogin(Settings s, const std::string& loginUrl, const fs::path& passwordFile) {
    s.push_back({"login.url", loginUrl});
    s.push_back({"login.username", kUsername});
    s.push_back({"login.password_file", passwordFile.string()});
    return s;
}

TEST_F(SourceRestFailures, ATokenExpiredMidwayIsRenewedByLoggingInOnceMore) {
    api().on("/auth/token", [](const SeenRequest&, int call) {
        return Reply{200, R"({"access_token":"tok-Login-)" + std::to_string(call + 1) + R"("})"};
    });
    const auto ok =
        pages({listOf({learner("E1001", "Alpha-Test")}), listOf({learner("E1002", "Bravo-Test")})});
    api().on("/v1/apprenants", [ok](const SeenRequest& r, int call) {
        // The first token expires after page 1.
        if (r.query.at("page") != "1" && r.authorization == "Bearer tok-Login-1") return Reply{401, "{}"};
        return ok(r, call);
    });
    const Drained d = drain(withLogin(baseSettings("/v1/apprenants"), api().url("/auth/token"),
                                      secretFile("password", kPassword)));
    ASSERT_EQ(d.fatal, "");
    EXPECT_EQ(d.rows.size(), 2u);
    EXPECT_EQ(api().requests("/auth/token").size(), 2u);
    EXPECT_EQ(api().requests("/v1/apprenants").back().authorization, "Bearer tok-Login-2");
}

TEST_F(SourceRestFailures, A401ThatLoggingInAgainDoesNotFixIsFatal) {
    api().on("/auth/token", always(Reply{200, R"({"access_token":"tok-Useless"})"}));
    api().on("/v1/apprenants", always(Reply{401, "{}"}));
    const Drained d = drain(withLogin(baseSettings("/v1/apprenants"), api().url("/auth/token"),
                                      secretFile("password", kPassword)));
    EXPECT_NE(d.fatal.find("401"), std::string::npos) << d.fatal;
    EXPECT_NE(d.fatal.find("even after logging in again"), std::string::npos) << d.fatal;
    EXPECT_EQ(api().requests("/auth/token").size(), 2u) << "logged in before the first page, then once more";
    expectNoSecretIn(d.fatal, kSecrets);
}

// Opening checks settings and files only (check-config runs without the
// network); the login comes with the first page, and its refusal stops the read.
TEST_F(SourceRestFailures, ARefusedLoginIsFatalAtTheFirstReadWithoutThePassword) {
    api().on("/auth/token", always(Reply{401, R"({"error":"bad credentials"})"}));
    const Drained d = drain(withLogin(baseSettings("/v1/apprenants"), api().url("/auth/token"),
                                      secretFile("password", kPassword)));
    EXPECT_TRUE(d.opened) << "opening does not contact the API";
    EXPECT_EQ(d.rows.size(), 0u);
    EXPECT_NE(d.fatal.find("login"), std::string::npos) << d.fatal;
    EXPECT_NE(d.fatal.find("login.password_file"), std::string::npos) << d.fatal;
    expectNoSecretIn(d.fatal, kSecrets);
}

TEST_F(SourceRestFailures, A403IsFatalAtOnceWithStatusAndPath) {
    api().on("/v1/apprenants", always(Reply{403, "{}"}));
    Settings s = baseSettings("/v1/apprenants");
    s.push_back({"token_file", secretFile("token", "tok-Forbidden-1").string()});
    const Drained d = drain(s);
    EXPECT_NE(d.fatal.find("403 Forbidden"), std::string::npos) << d.fatal;
    EXPECT_NE(d.fatal.find("/v1/apprenants"), std::string::npos) << d.fatal;
    EXPECT_NE(d.fatal.find("not allowed"), std::string::npos) << d.fatal;
    EXPECT_EQ(api().requests("/v1/apprenants").size(), 1u) << "a 403 is not retried";
    expectNoSecretIn(d.fatal, kSecrets);
}

TEST_F(SourceRestFailures, APageLargerThanMaxPageBytesIsFatalAndNotRetried) {
    std::vector<std::string> many;
    for (int i = 0; i < 40; ++i) many.push_back(learner("E1001", "Alpha-Test"));
    api().on("/v1/apprenants", always(Reply{200, listOf(many)}));
    Settings s = baseSettings("/v1/apprenants", "none");
    s.push_back({"max_page_bytes", "2048"});
    const Drained d = drain(s);
    EXPECT_TRUE(d.rows.empty());
    EXPECT_NE(d.fatal.find("max_page_bytes (2048 bytes)"), std::string::npos) << d.fatal;
    EXPECT_NE(d.fatal.find("page 1"), std::string::npos) << d.fatal;
    EXPECT_EQ(api().requests("/v1/apprenants").size(), 1u);
    expectNoSecretIn(d.fatal, kSecrets);
}

TEST_F(SourceRestFailures, ANestedObjectWhereAValueIsExpectedIsARowErrorAndTheNextRowIsRead) {
    const std::string nested =
        R"({"code":"E1002","identite":{"nom_naissance":{"first":"Bravo-Test"}},"adresses":[]})";
    api().on("/v1/apprenants", always(Reply{200, listOf({learner("E1001", "Alpha-Test"), nested,
                                                         learner("E1003", "Charlie-Test")})}));
    const Drained d = drain(baseSettings("/v1/apprenants", "none"));
    ASSERT_EQ(d.fatal, "");
    EXPECT_EQ(d.rows,
              (std::vector<Row>{learnerRow("E1001", "Alpha-Test"), learnerRow("E1003", "Charlie-Test")}));
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{1, 3}));
    ASSERT_EQ(d.errors.size(), 1u);
    EXPECT_EQ(d.errors[0].line, 2u);
    EXPECT_EQ(d.errors[0].column, 3u) << "NOM is the third column (CODE, MAIL, NOM)";
    EXPECT_NE(d.errors[0].message.find("record 2"), std::string::npos) << d.errors[0].message;
    EXPECT_NE(d.errors[0].message.find("'NOM'"), std::string::npos) << d.errors[0].message;
    expectNoSecretIn(d.errors[0].message, kSecrets);
}

TEST_F(SourceRestFailures, NumbersBooleansNullsAndMissingValuesBecomeText) {
    api().on("/v1/apprenants",
             always(Reply{
                 200, R"([{"code":20231234,"identite":{"nom_naissance":null},"adresses":[{"mail":true}]},)"
                      R"({"code":"E1002"}])"}));
    const Drained d = drain(baseSettings("/v1/apprenants", "none"));
    ASSERT_EQ(d.fatal, "");
    EXPECT_EQ(d.rows, (std::vector<Row>{{"20231234", "true", ""}, {"E1002", "", ""}}));
}

}  // namespace
}  // namespace passerelle::integration::rest
