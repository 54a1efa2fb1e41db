// The DPO console over real HTTP: a Region and an institution with real
// transfers of both purposes, `passerelle console` started for each, and the
// API checked as a browser or a script would use it: authentication, security
// headers, ledger views, proofs, the access request and what is never logged.

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <sys/stat.h>

#include "../support/exchange_fixture.h"

namespace passerelle::integration {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpAnswer {
    int status = 0;
    std::map<std::string, std::string> headers;  // the first value of each
    std::string body;
    std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? "" : it->second;
    }
};

HttpAnswer http(int port, const std::string& method, const std::string& uri, const Headers& headers = {},
                const std::string& body = {}) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    Poco::Net::HTTPRequest request(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers) request.set(name, value);
    if (method == "POST") request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    HttpAnswer answer;
    answer.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response) answer.headers.emplace(name, value);
    Poco::StreamCopier::copyToString(in, answer.body);
    return answer;
}

struct RunningConsole {
    std::unique_ptr<ChildProcess> process;
    int port = 0;
    std::string token;
    std::string origin() const { return "http://127.0.0.1:" + std::to_string(port); }
    Headers bearer() const { return {{"Authorization", "Bearer " + token}}; }
};

std::string consoleSection(const fs::path& tokenFile, const std::string& listen = "127.0.0.1:0") {
    return "\n[console]\nlisten = " + listen + "\ntoken_file = " + tokenFile.string() + "\n";
}

std::string text(const Poco::JSON::Object::Ptr& object) {
    std::ostringstream out;
    object->stringify(out);
    return out.str();
}

void appendTo(const fs::path& file, const std::string& text) { writeFile(file, readFile(file) + text); }

class ConsoleTest : public ExchangeTest {
protected:
    fs::path regionToken() const { return root() / "region-console.token"; }
    fs::path institutionToken() const { return root() / "institution-console.token"; }

    // `passerelle console`, and the port it prints.
    RunningConsole startConsole(const fs::path& config, const fs::path& tokenFile,
                                const std::string& logName) {
        RunningConsole c;
        c.process = std::make_unique<ChildProcess>(
            std::vector<std::string>{kPasserelle.string(), "console", "--config", config.string()},
            logs() / logName);
        static const std::regex started(R"(DPO console on http://127\.0\.0\.1:(\d+)/ \(token in (.+)\))");
        std::smatch match;
        std::string out;
        waitUntil(
            [&] {
                return std::regex_search(out = c.process->out(), match, started) || !c.process->running();
            },
            15s);
        if (match.empty()) {
            ADD_FAILURE() << "the console did not start\n" << out << "\n" << c.process->err();
            return c;
        }
        EXPECT_EQ(match[2].str(), tokenFile.string());
        c.port = std::stoi(match[1].str());
        c.token = lines(readFile(tokenFile)).at(0);
        return c;
    }

    // The session cookie ("name=value") the login form sets.
    std::string logIn(const RunningConsole& c) {
        const auto answer =
            http(c.port, "POST", "/login",
                 {{"Origin", c.origin()}, {"Content-Type", "application/x-www-form-urlencoded"}},
                 "token=" + c.token);
        EXPECT_EQ(answer.status, 303);
        EXPECT_EQ(answer.header("Location"), "/");
        const std::string setCookie = answer.header("Set-Cookie");
        EXPECT_NE(setCookie.find("HttpOnly"), std::string::npos) << setCookie;
        EXPECT_NE(setCookie.find("SameSite=Strict"), std::string::npos) << setCookie;
        return setCookie.substr(0, setCookie.find(';'));
    }

    // The session's anti-forgery token, as the page holds it (its csrf-token <meta>).
    std::string csrfToken(const RunningConsole& c, const std::string& session) {
        const auto page = http(c.port, "GET", "/", {{"Cookie", session}});
        EXPECT_EQ(page.status, 200);
        static const std::regex meta(R"re(<meta name="csrf-token" content="([0-9a-f]{64})">)re");
        std::smatch match;
        EXPECT_TRUE(std::regex_search(page.body, match, meta)) << page.body;
        return match.empty() ? "" : match[1].str();
    }
};

// Both gateways, real transfers of both purposes, and both consoles.
class ConsoleWithTransfersTest : public ConsoleTest {
protected:
    void SetUp() override {
        ConsoleTest::SetUp();
        exportFile_ = makeExport("univ-montpellier", 40, 10, 23);
        region_ = startMontpellierExchange(exportFile_, inst_,
                                           [&] { appendTo(regionConfig(), consoleSection(regionToken())); });
        ASSERT_TRUE(region_);
        appendTo(inst_.config, consoleSection(institutionToken()));
        for (const char* job : {"survey-contact", "statistics"}) {
            const auto r = passerelle({"transfer", "--config", inst_.config.string(), "--job", job, "--json"},
                                      std::string("transfer.") + job);
            ASSERT_EQ(r.exitCode, 0) << r;
            batches_[job] = parseJson(r.out)->getValue<std::string>("batch_id");
        }
        institution_ = startConsole(inst_.config, institutionToken(), "console.institution");
        regionConsole_ = startConsole(regionConfig(), regionToken(), "console.region");
        ASSERT_FALSE(HasFailure());
    }

    void TearDown() override {
        for (RunningConsole* c : {&institution_, &regionConsole_}) {
            if (c->process) stopGateway(*c->process);
        }
        if (region_) stopGateway(region_->process());
        ConsoleTest::TearDown();
    }

    Poco::JSON::Object::Ptr getJson(const RunningConsole& c, const std::string& uri) {
        const auto answer = http(c.port, "GET", uri, c.bearer());
        EXPECT_EQ(answer.status, 200) << uri << ": " << answer.body;
        return parseJson(answer.body);
    }

    std::vector<std::uint64_t> column(const Poco::JSON::Object::Ptr& page, const std::string& key) {
        std::vector<std::uint64_t> out;
        const auto entries = page->getArray("entries");
        for (std::size_t i = 0; entries && i < entries->size(); ++i) {
            out.push_back(entries->getObject(i)->getValue<std::uint64_t>(key));
        }
        return out;
    }

    // A local id of the export that the console finds; the refused rows it
    // passes on the way answer 404, as an unknown id does.
    std::string searchableLocalId(const Headers& auth) {
        std::istringstream in(readFile(exportFile_));
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line)) {
            const std::string id = splitCells(line, ';').at(0);
            const auto answer =
                http(institution_.port, "POST", "/api/subject", auth, "{\"local_id\":\"" + id + "\"}");
            if (answer.status == 200) return id;
            EXPECT_EQ(answer.status, 404) << answer.body;
        }
        ADD_FAILURE() << "no trainee of the export was found";
        return {};
    }

    fs::path exportFile_;
    Institution inst_;
    std::unique_ptr<RunningRegion> region_;
    std::map<std::string, std::string> batches_;  // job -> batch id
    RunningConsole institution_, regionConsole_;
};

TEST_F(ConsoleWithTransfersTest, OnlyTheTokenOpensTheConsoleAndEveryAnswerCarriesTheSecurityHeaders) {
    const auto anonymous = http(institution_.port, "GET", "/api/entries");
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_EQ(parseJson(anonymous.body)->getValue<std::string>("error"), "authentification_requise");
    const auto page = http(institution_.port, "GET", "/");
    EXPECT_EQ(page.status, 303);
    EXPECT_EQ(page.header("Location"), "/login");
    for (const HttpAnswer& a : {anonymous, page, http(institution_.port, "GET", "/login")}) {
        EXPECT_EQ(a.header("Content-Security-Policy"),
                  "default-src 'self'; frame-ancestors 'none'; form-action 'self'");
        EXPECT_EQ(a.header("X-Content-Type-Options"), "nosniff");
        EXPECT_EQ(a.header("Referrer-Policy"), "no-referrer");
        EXPECT_EQ(a.header("Cache-Control"), "no-store");
    }
    const auto loginForm = http(institution_.port, "GET", "/login");
    EXPECT_NE(loginForm.body.find("lang=\"fr\""), std::string::npos);
    EXPECT_NE(loginForm.body.find("<label for=\"token\">"), std::string::npos);

    const Headers form = {{"Origin", institution_.origin()},
                          {"Content-Type", "application/x-www-form-urlencoded"}};
    const auto wrong = http(institution_.port, "POST", "/login", form, "token=" + std::string(64, '0'));
    EXPECT_EQ(wrong.status, 303);
    EXPECT_EQ(wrong.header("Location"), "/login?erreur=jeton");
    EXPECT_EQ(wrong.header("Set-Cookie"), "");
    const auto foreign = http(institution_.port, "POST", "/login",
                              {{"Origin", "http://evil.example"}, form[1]}, "token=" + institution_.token);
    EXPECT_EQ(foreign.status, 403) << "a login posted from another site";
    const auto rebound =
        http(institution_.port, "GET", "/api/entries", {{"Host", "evil.example"}, institution_.bearer()[0]});
    EXPECT_EQ(rebound.status, 421) << "a request for another host name (DNS rebinding)";

    const std::string session = logIn(institution_);
    const auto withCookie = http(institution_.port, "GET", "/", {{"Cookie", session}});
    EXPECT_EQ(withCookie.status, 200);
    EXPECT_NE(withCookie.body.find("Recherche d'une personne"), std::string::npos);
    EXPECT_EQ(withCookie.body.find("http"), std::string::npos) << "the page loads nothing from elsewhere";
    EXPECT_EQ(http(institution_.port, "GET", "/api/overview", {{"Cookie", session}}).status, 200);
    EXPECT_EQ(http(institution_.port, "GET", "/api/overview", institution_.bearer()).status, 200);
    EXPECT_EQ(
        http(institution_.port, "GET", "/api/overview", {{"Cookie", "passerelle_console=forged"}}).status,
        401);

    // The logout button is a form: its hidden csrf field carries the session's token.
    const std::string csrf = csrfToken(institution_, session);
    EXPECT_NE(withCookie.body.find("<input type=\"hidden\" name=\"csrf\" value=\"" + csrf + "\">"),
              std::string::npos);
    const Headers logoutForm = {
        {"Cookie", session}, {"Origin", institution_.origin()}, {"Content-Type", "application/x-www-form-urlencoded"}};
    EXPECT_EQ(http(institution_.port, "POST", "/logout", logoutForm).status, 403) << "a logout without the token";
    EXPECT_EQ(http(institution_.port, "GET", "/api/overview", {{"Cookie", session}}).status, 200)
        << "a refused logout leaves the session open";
    const auto logout = http(institution_.port, "POST", "/logout", logoutForm, "csrf=" + csrf);
    EXPECT_EQ(logout.status, 303);
    EXPECT_EQ(http(institution_.port, "GET", "/api/overview", {{"Cookie", session}}).status, 401);
}

TEST_F(ConsoleWithTransfersTest, TransfersAreFilteredSortedPagedExportedAndProven) {
    const auto all = getJson(institution_, "/api/entries?per_page=200");
    const auto total = all->getValue<std::uint64_t>("total");
    ASSERT_GE(total, 4u) << "two batches sealed and receipted";

    const auto stats =
        getJson(institution_, std::string("/api/entries?per_page=200&purpose=") + kStatisticsPurpose);
    const auto statsEntries = stats->getArray("entries");
    ASSERT_GT(statsEntries->size(), 0u);
    for (std::size_t i = 0; i < statsEntries->size(); ++i) {
        EXPECT_EQ(statsEntries->getObject(i)->getValue<std::string>("purpose"), kStatisticsPurpose);
    }
    EXPECT_LT(stats->getValue<std::uint64_t>("total"), total);
    const auto sealed =
        getJson(institution_, "/api/entries?operation=batch-sealed&counterpart=region-occitanie");
    EXPECT_EQ(sealed->getValue<std::uint64_t>("total"), 2u);
    EXPECT_EQ(getJson(institution_, "/api/entries?to=2000-01-01")->getValue<std::uint64_t>("total"), 0u);

    const auto page1 =
        column(getJson(institution_, "/api/entries?per_page=2&page=1&sort=index&order=desc"), "index");
    const auto page2 =
        column(getJson(institution_, "/api/entries?per_page=2&page=2&sort=index&order=desc"), "index");
    ASSERT_EQ(page1.size(), 2u);
    ASSERT_FALSE(page2.empty());
    EXPECT_EQ(page1[0], total) << "newest first";
    EXPECT_GT(page1[1], page2[0]) << "page 2 continues page 1";
    const auto byRecords =
        column(getJson(institution_, "/api/entries?per_page=200&sort=records&order=desc"), "record_count");
    EXPECT_TRUE(std::is_sorted(byRecords.rbegin(), byRecords.rend()));
    EXPECT_EQ(http(institution_.port, "GET", "/api/entries?sort=secret", institution_.bearer()).status, 400);
    EXPECT_EQ(http(institution_.port, "GET", "/api/entries?from=yesterday", institution_.bearer()).status,
              400);

    const auto csv = http(institution_.port, "GET", std::string("/api/entries.csv?purpose=") + kSurveyPurpose,
                          institution_.bearer());
    EXPECT_EQ(csv.status, 200);
    EXPECT_NE(csv.header("Content-Disposition").find("attachment"), std::string::npos);
    const auto rows = lines(csv.body);
    ASSERT_GE(rows.size(), 3u);
    EXPECT_TRUE(rows[0].starts_with("index,time,actor,operation,purpose,"));
    for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(splitCells(rows[i], ',').at(4), kSurveyPurpose);
    EXPECT_NE(csv.body.find(batches_["survey-contact"]), std::string::npos);

    const auto batch = getJson(institution_, "/api/batches/" + batches_["survey-contact"]);
    const auto proven = batch->getArray("entries");
    ASSERT_GE(proven->size(), 2u) << "sealed and receipted";
    for (std::size_t i = 0; i < proven->size(); ++i) {
        const auto item = proven->getObject(i);
        EXPECT_TRUE(item->getValue<bool>("verifies"));
        EXPECT_TRUE(item->getObject("proof")->getValue<bool>("verifies"));
        EXPECT_EQ(item->getObject("proof")->getValue<std::string>("root_hash"),
                  item->getObject("checkpoint")->getValue<std::string>("root_hash"));
        EXPECT_EQ(item->getObject("entry")->getValue<std::string>("batch_id"), batches_["survey-contact"]);
    }
    EXPECT_EQ(batch->getObject("outbox")->getValue<std::string>("status"), "receipted");
    EXPECT_EQ(
        http(institution_.port, "GET", "/api/batches/" + std::string(32, 'a'), institution_.bearer()).status,
        404);

    const auto regionBatch = getJson(regionConsole_, "/api/batches/" + batches_["statistics"]);
    EXPECT_TRUE(regionBatch->getArray("entries")->getObject(0)->getValue<bool>("verifies"));
    EXPECT_EQ(regionBatch->getObject("inbox")->getValue<std::string>("sender"), "univ-montpellier");

    const auto verification = getJson(regionConsole_, "/api/verification");
    EXPECT_TRUE(verification->getValue<bool>("intact")) << text(verification);
    EXPECT_GT(verification->getArray("recent_checkpoints")->size(), 0u);
    const auto institutionVerification = getJson(institution_, "/api/verification");
    EXPECT_TRUE(institutionVerification->getValue<bool>("intact"));
    EXPECT_GT(institutionVerification->getArray("counterpart_checkpoints")->size(), 0u)
        << "the Region's checkpoints came with its receipts";
    const auto processing = getJson(regionConsole_, "/api/register");
    EXPECT_EQ(processing->getArray("purposes")->size(), 2u);
}

TEST_F(ConsoleWithTransfersTest, TheInstitutionFindsASubjectWhomNeitherTheRegionNorAnyLogSees) {
    const std::string session = logIn(institution_);
    const std::string csrf = csrfToken(institution_, session);
    const Headers post = {{"Cookie", session},
                          {"Origin", institution_.origin()},
                          {"Content-Type", "application/json"},
                          {"X-CSRF-Token", csrf}};
    const std::string localId = searchableLocalId(post);
    ASSERT_FALSE(localId.empty());

    const auto found =
        http(institution_.port, "POST", "/api/subject", post, "{\"local_id\":\"" + localId + "\"}");
    ASSERT_EQ(found.status, 200) << found.body;
    EXPECT_EQ(found.body.find(localId), std::string::npos) << "the id is not echoed back";
    const auto answer = parseJson(found.body);
    std::set<std::string> carried;
    const auto batches = answer->getArray("batches");
    for (std::size_t i = 0; i < batches->size(); ++i) {
        carried.insert(batches->getObject(i)->getValue<std::string>("batch_id"));
    }
    EXPECT_EQ(carried, (std::set<std::string>{batches_["survey-contact"], batches_["statistics"]}));
    EXPECT_EQ(answer->getArray("pseudonyms")->size(), 2u) << "one per pseudonym domain";

    const std::string unknown = "NO-SUCH-STUDENT-4711";
    const auto missing =
        http(institution_.port, "POST", "/api/subject", post, "{\"local_id\":\"" + unknown + "\"}");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(parseJson(missing.body)->getValue<std::string>("error"), "personne_introuvable");
    EXPECT_EQ(missing.body.find(unknown), std::string::npos);
    EXPECT_EQ(http(institution_.port, "POST", "/api/subject", {post[0], post[2], post[3]}, "{\"ine\":\"x\"}")
                  .status,
              403)
        << "a cookie-borne POST without its Origin";
    // A state-changing request (the look-up writes the ledger) needs the session's
    // anti-forgery token: none, another session's or a made-up one is refused.
    const std::string otherSession = logIn(institution_);
    const std::string otherCsrf = csrfToken(institution_, otherSession);
    EXPECT_NE(otherCsrf, csrf) << "each session has its own token";
    for (const std::string& token : {std::string(), otherCsrf, std::string(64, '0'), csrf.substr(0, 32)}) {
        Headers forged = {post[0], post[1], post[2]};
        if (!token.empty()) forged.emplace_back("X-CSRF-Token", token);
        const auto refused =
            http(institution_.port, "POST", "/api/subject", forged, "{\"local_id\":\"" + localId + "\"}");
        EXPECT_EQ(refused.status, 403) << "token '" << token << "': " << refused.body;
        EXPECT_EQ(parseJson(refused.body)->getValue<std::string>("error"), "jeton_csrf");
    }
    EXPECT_EQ(http(institution_.port, "POST", "/api/subject", post,
                   "{\"local_id\":\"" + std::string(20000, '1') + "\"}")
                  .status,
              413);
    EXPECT_EQ(http(institution_.port, "POST", "/api/subject", post, "{\"name\":\"x\"}").status, 400);
    EXPECT_EQ(http(institution_.port, "POST", "/api/subject", post, "not json").status, 400);
    EXPECT_EQ(http(institution_.port, "GET", "/api/objections", institution_.bearer()).status, 200);

    const auto region = http(regionConsole_.port, "POST", "/api/subject", regionConsole_.bearer(),
                             "{\"local_id\":\"" + localId + "\"}");
    EXPECT_EQ(region.status, 409);
    EXPECT_NE(parseJson(region.body)->getValue<std::string>("message").find("pseudonymes"),
              std::string::npos);
    EXPECT_EQ(http(regionConsole_.port, "GET", "/api/objections", regionConsole_.bearer()).status, 409);

    // The look-up is in the ledger, by the console, without the id.
    const auto lookups = getJson(institution_, "/api/entries?operation=subject-lookup&per_page=200");
    ASSERT_GT(lookups->getValue<std::uint64_t>("total"), 0u);
    EXPECT_EQ(lookups->getArray("entries")->getObject(0)->getValue<std::string>("actor"), "dpo-console");
    for (RunningConsole* c : {&institution_, &regionConsole_}) {
        const std::string log = c->process->out() + c->process->err();
        EXPECT_NE(log.find("POST /api/subject -> "), std::string::npos) << "requests are logged";
        EXPECT_EQ(log.find(localId), std::string::npos) << "a console logged the id searched for";
        EXPECT_EQ(log.find(unknown), std::string::npos);
    }
}

TEST_F(ConsoleTest, AConsoleOffLoopbackOrWithAReadableTokenFileIsRefused) {
    makePki({kRegion});
    writeRegionConfig({});
    keysInit(regionConfig(), "region");
    const std::string base = readFile(regionConfig());

    const auto noSection = passerelle({"console", "--config", regionConfig().string()}, "console.no-section");
    EXPECT_EQ(noSection.exitCode, 3) << noSection;
    EXPECT_NE(noSection.err.find("'console.listen'"), std::string::npos) << noSection;

    writeFile(regionConfig(), base + consoleSection(regionToken(), "0.0.0.0:8080"));
    const auto open = passerelle({"check-config", "--config", regionConfig().string()}, "check-config.open");
    EXPECT_EQ(open.exitCode, 3) << open;
    EXPECT_NE(open.err.find("console.listen"), std::string::npos) << open;

    writeFile(regionConfig(), base + consoleSection(regionToken()));
    writeFile(regionToken(), std::string(64, 'a') + "\n");
    ::chmod(regionToken().c_str(), 0644);
    const auto readable = passerelle({"console", "--config", regionConfig().string()}, "console.readable");
    EXPECT_EQ(readable.exitCode, 3) << readable;
    EXPECT_NE(readable.err.find(regionToken().string()), std::string::npos) << readable;
    EXPECT_NE(readable.err.find("chmod 600"), std::string::npos) << readable;
    EXPECT_EQ(readable.err.find(std::string(64, 'a')), std::string::npos) << "the token is never printed";

    // A missing token file is created, readable by its owner only.
    fs::remove(regionToken());
    RunningConsole c = startConsole(regionConfig(), regionToken(), "console.created");
    ASSERT_NE(c.port, 0);
    EXPECT_EQ(fs::status(regionToken()).permissions() & fs::perms::mask,
              fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(c.token.size(), 64u);
    stopGateway(*c.process);
}

}  // namespace
}  // namespace passerelle::integration
