// source.rest reading a paged API: login, bearer token on every page, page
// numbers, cursors, the host's filter sent as query parameters.

#include "source_rest_support.h"

namespace passerelle::integration::rest {
namespace {

using SourceRestPaging = SourceRestTest;

// Pages 1..3 hold records, page 4 is empty: the end.
Script threePages() {
    return [](const SeenRequest& r, int) {
        const std::string page = r.query.count("page") ? r.query.at("page") : "";
        if (page == "1")
            return Reply{200, pageOf({learner("E1001", "Alpha-Test"), learner("E1002", "Bravo-Test")})};
        if (page == "2")
            return Reply{200, pageOf({learner("E1003", "Charlie-Test"), learner("E1004", "Delta-Test")})};
        if (page == "3") return Reply{200, pageOf({learner("E1005", "Echo-Test")})};
        return Reply{200, pageOf({})};
    };
}

const std::vector<Row> kFiveLearners = {learnerRow("E1001", "Alpha-Test"), learnerRow("E1002", "Bravo-Test"),
                                        learnerRow("E1003", "Charlie-Test"),
                                        learnerRow("E1004", "Delta-Test"), learnerRow("E1005", "Echo-Test")};

TEST_F(SourceRestPaging, FormLoginThenTheBearerTokenOnEveryPageAcrossThreePages) {
    api().on("/auth/token", [](const SeenRequest& r, int) {
        const bool good = r.method == "POST" && r.contentType == "application/x-www-form-urlencoded" &&
                          r.body == std::string("username=") + kUsername + "&password=" + kPassword;
        return good ? Reply{200, R"({"access_token":"tok-Form-1","expires_in":300})"} : Reply{401, "{}"};
    });
    api().on("/v1/apprenants", [](const SeenRequest& r, int call) {
        if (r.authorization != "Bearer tok-Form-1") return Reply{401, "{}"};
        return threePages()(r, call);
    });
    Settings s = baseSettings("/v1/apprenants");
    s.push_back({"login.url", api().url("/auth/token")});
    s.push_back({"login.username", kUsername});
    s.push_back({"login.password_file", secretFile("password", std::string(kPassword) + "\n").string()});
    s.push_back({"page.size_param", "limit"});
    s.push_back({"page.size", "2"});
    s.push_back({"items_path", "content"});

    const Drained d = drain(s);
    ASSERT_EQ(d.fatal, "");
    EXPECT_EQ(d.columns, (Row{"CODE", "MAIL", "NOM"}));
    EXPECT_EQ(d.rows, kFiveLearners);
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(api().requests("/auth/token").size(), 1u);
    const auto pages = api().requests("/v1/apprenants");
    ASSERT_EQ(pages.size(), 4u) << "pages 1, 2, 3 and the empty page 4";
    for (std::size_t i = 0; i < pages.size(); ++i) {
        EXPECT_EQ(pages[i].authorization, "Bearer tok-Form-1");
        EXPECT_EQ(pages[i].query.at("page"), std::to_string(i + 1));
        EXPECT_EQ(pages[i].query.at("limit"), "2");
    }
}

TEST_F(SourceRestPaging, JsonLoginWithATokenPathAndZeroBasedPagesStoppingAtTotalPages) {
    api().on("/auth/login", [](const SeenRequest& r, int) {
        const bool good = r.contentType == "application/json" &&
                          r.body.find(std::string("\"password\":\"") + kPassword + "\"") != std::string::npos;
        return good ? Reply{200, R"({"session":{"jwt":"tok-Json-1"}})"} : Reply{400, "{}"};
    });
    api().on("/v1/apprenants", [](const SeenRequest& r, int) {
        EXPECT_EQ(r.authorization, "Bearer tok-Json-1");
        if (r.query.at("page") == "0") return Reply{200, pageOf({learner("E1001", "Alpha-Test")}, 2)};
        if (r.query.at("page") == "1") return Reply{200, pageOf({learner("E1002", "Bravo-Test")}, 2)};
        return Reply{500, "{}"};  // never asked: totalPages said 2
    });
    Settings s = baseSettings("/v1/apprenants");
    s.push_back({"login.url", api().url("/auth/login")});
    s.push_back({"login.username", kUsername});
    s.push_back({"login.password_file", secretFile("password", kPassword).string()});
    s.push_back({"login.format", "json"});
    s.push_back({"login.token_path", "session.jwt"});
    s.push_back({"page.first", "0"});
    s.push_back({"page.total_path", "totalPages"});
    s.push_back({"items_path", "content"});

    const Drained d = drain(s);
    ASSERT_EQ(d.fatal, "");
    EXPECT_EQ(d.rows,
              (std::vector<Row>{learnerRow("E1001", "Alpha-Test"), learnerRow("E1002", "Bravo-Test")}));
    EXPECT_EQ(api().requests("/v1/apprenants").size(), 2u);
}

TEST_F(SourceRestPaging, CasStyleLoginAnswerIsTheTokenItself) {
    api().on("/cas/v1/tickets", always(Reply{201, "ST-42-synthetic-ticket\n", "text/plain"}));
    api().on("/v1/apprenants", [](const SeenRequest& r, int) {
        return r.authorization == "Bearer ST-42-synthetic-ticket"
                   ? Reply{200, listOf({learner("E1001", "Alpha-Test")})}
                   : Reply{401, "{}"};
    });
    Settings s = baseSettings("/v1/apprenants", "none");
    s.push_back({"login.url", api().url("/cas/v1/tickets")});
    s.push_back({"login.username", kUsername});
    s.push_back({"login.password_file", secretFile("password", kPassword).string()});

    const Drained d = drain(s);
    ASSERT_EQ(d.fatal, "");
    EXPECT_EQ(d.rows, (std::vector<Row>{learnerRow("E1001", "Alpha-Test")}));
}

TEST_F(SourceRestPaging, CursorPaginationSendsTheCursorItWasGivenUntilThereIsNone) {
    api().on("/v1/apprenants", [](const SeenRequest& r, int) {
        const auto it = r.query.find("after");
        if (it == r.query.end()) {
            return Reply{200, R"({"data":)" + listOf({learner("E1001", "Alpha-Test")}) + R"(,"next":"c-2"})"};
        }
        if (it->second == "c-2") {
            return Reply{200, R"({"data":)" + listOf({learner("E1002", "Bravo-Test")}) + R"(,"next":"c-3"})"};
        }
        return Reply{200, R"({"data":)" + listOf({learner("E1003", "Charlie-Test")}) + R"(,"next":null})"};
    });
    Settings s = baseSettings("/v1/apprenants", "cursor");
    s.push_back({"token_file", secretFile("token", "tok-Static-1\n").string()});
    s.push_back({"cursor.path", "next"});
    s.push_back({"cursor.param", "after"});
    s.push_back({"items_path", "data"});

    const Drained d = drain(s);
    ASSERT_EQ(d.fatal, "");
    EXPECT_EQ(d.rows, (std::vector<Row>{learnerRow("E1001", "Alpha-Test"), learnerRow("E1002", "Bravo-Test"),
                                        learnerRow("E1003", "Charlie-Test")}));
    const auto pages = api().requests("/v1/apprenants");
    ASSERT_EQ(pages.size(), 3u);
    EXPECT_EQ(pages[1].query.at("after"), "c-2");
    EXPECT_EQ(pages[2].query.at("after"), "c-3");
    for (const auto& p : pages) EXPECT_EQ(p.authorization, "Bearer tok-Static-1");
}

TEST_F(SourceRestPaging, CursorGivenAsANextPageAddressIsFollowedOnTheSameServerOnly) {
    api().on("/v1/apprenants", [](const SeenRequest& r, int) {
        if (r.query.count("offset") == 0) {
            return Reply{200, R"({"items":)" + listOf({learner("E1001", "Alpha-Test")}) +
                                  R"(,"links":{"next":"/v1/apprenants?offset=1"}})"};
        }
        return Reply{200,
                     R"({"items":)" + listOf({learner("E1002", "Bravo-Test")}) + R"(,"links":{"next":""}})"};
    });
    Settings s = baseSettings("/v1/apprenants", "cursor");
    s.push_back({"cursor.path", "links.next"});
    s.push_back({"items_path", "items"});
    const Drained d = drain(s);
    ASSERT_EQ(d.fatal, "");
    EXPECT_EQ(d.rows.size(), 2u);

    api().on("/v2/apprenants",
             always(Reply{200, R"({"items":[],"links":{"next":"https://elsewhere.example.org/x"}})"}));
    Settings elsewhere = baseSettings("/v2/apprenants", "cursor");
    elsewhere.push_back({"cursor.path", "links.next"});
    elsewhere.push_back({"items_path", "items"});
    const Drained refused = drain(elsewhere);
    EXPECT_NE(refused.fatal.find("another server"), std::string::npos) << refused.fatal;
    EXPECT_NE(refused.fatal.find("page 1"), std::string::npos) << refused.fatal;
}

TEST_F(SourceRestPaging, TheHostsFilterIsSentAsQueryParametersAndAnEmptyValueIsNot) {
    api().on("/v1/apprenants", always(Reply{200, listOf({learner("E1001", "Alpha-Test")})}));
    Settings s = baseSettings("/v1/apprenants", "none");
    s.push_back({"filter.exit_from_param", "dateSortieMin"});
    s.push_back({"filter.exit_to_param", "dateSortieMax"});
    s.push_back({"filter.since_param", "modifieDepuis"});
    const psl_source_filter filter{"2025-01-01", "2025-06-30", ""};

    const Drained d = drain(s, &filter);
    ASSERT_EQ(d.fatal, "");
    const auto pages = api().requests("/v1/apprenants");
    ASSERT_EQ(pages.size(), 1u);
    EXPECT_EQ(pages[0].query.at("dateSortieMin"), "2025-01-01");
    EXPECT_EQ(pages[0].query.at("dateSortieMax"), "2025-06-30");
    EXPECT_EQ(pages[0].query.count("modifieDepuis"), 0u);
}

TEST_F(SourceRestPaging, AnApiThatIgnoresThePageParameterIsStoppedInsteadOfReadForever) {
    api().on("/v1/apprenants", always(Reply{200, pageOf({learner("E1001", "Alpha-Test")})}));
    Settings s = baseSettings("/v1/apprenants");
    s.push_back({"items_path", "content"});
    const Drained d = drain(s);
    EXPECT_EQ(d.rows.size(), 1u);
    EXPECT_NE(d.fatal.find("page 2"), std::string::npos) << d.fatal;
    EXPECT_NE(d.fatal.find("page.param"), std::string::npos) << d.fatal;
}

}  // namespace
}  // namespace passerelle::integration::rest
