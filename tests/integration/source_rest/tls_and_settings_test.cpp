// source.rest's TLS (the server's certificate always verified, client
// certificates when the API asks for one) and the settings it refuses at open.

#include "source_rest_support.h"

namespace passerelle::integration::rest {
namespace {

using SourceRestTls = SourceRestTest;

const std::string kOneLearner = listOf({learner("E1001", "Alpha-Test")});

TEST_F(SourceRestTls, AServerCertificateFromAnotherCaIsRefusedWithoutRetrying) {
    api().on("/v1/apprenants", always(Reply{200, kOneLearner}));
    Settings s = baseSettings("/v1/apprenants", "none");
    s[1].second = (pki() / "foreign" / "ca.crt").string();
    const Drained d = drain(s);
    EXPECT_TRUE(d.rows.empty());
    EXPECT_NE(d.fatal.find("certificate was refused"), std::string::npos) << d.fatal;
    EXPECT_NE(d.fatal.find("ca_file"), std::string::npos) << d.fatal;
    EXPECT_NE(d.fatal.find("page 1"), std::string::npos) << d.fatal;
    EXPECT_EQ(d.fatal.find("attempts"), std::string::npos)
        << "a refused certificate is not retried: " << d.fatal;
    EXPECT_TRUE(api().requests("/v1/apprenants").empty());
}

TEST_F(SourceRestTls, ACertificateThatDoesNotNameTheHostIsRefused) {
    api().on("/v1/apprenants", always(Reply{200, kOneLearner}));
    Settings s = baseSettings("/v1/apprenants", "none");
    // The certificate names localhost and 127.0.0.1, not 127.0.0.2 (still this machine).
    const std::string url = s[0].second;
    s[0].second = "https://127.0.0.2" + url.substr(url.find(':', 8));
    const Drained d = drain(s);
    EXPECT_TRUE(d.rows.empty());
    EXPECT_NE(d.fatal.find("127.0.0.2"), std::string::npos) << d.fatal;
    EXPECT_TRUE(api().requests("/v1/apprenants").empty());
}

TEST_F(SourceRestTls, AClientCertificateRequiredByTheServerIsGiven) {
    api(true).on("/v1/apprenants", always(Reply{200, kOneLearner}));
    Settings s = baseSettings("/v1/apprenants", "none");
    s.push_back({"client_certificate", (pki() / (std::string(kClientParty) + ".crt")).string()});
    s.push_back({"client_key", (pki() / (std::string(kClientParty) + ".key")).string()});
    const Drained d = drain(s);
    ASSERT_EQ(d.fatal, "");
    EXPECT_EQ(d.rows, (std::vector<Row>{learnerRow("E1001", "Alpha-Test")}));
}

TEST_F(SourceRestTls, WithoutTheClientCertificateTheServerRefusesAndTheMessageSaysWhatToSet) {
    api(true).on("/v1/apprenants", always(Reply{200, kOneLearner}));
    Settings s = baseSettings("/v1/apprenants", "none");
    s.push_back({"retries", "0"});
    const Drained d = drain(s);
    EXPECT_TRUE(d.rows.empty());
    EXPECT_NE(d.fatal.find("client_certificate"), std::string::npos) << d.fatal;
    EXPECT_TRUE(api().requests("/v1/apprenants").empty());
}

void expectRefusedAtOpen(const Drained& d, const std::string& setting) {
    EXPECT_FALSE(d.opened);
    EXPECT_NE(d.fatal.find("setting '" + setting + "'"), std::string::npos) << d.fatal;
}

TEST_F(SourceRestTls, PlainHttpIsRefusedUnlessAllowedForThisMachine) {
    Settings s = baseSettings("/v1/apprenants", "none");
    s[0].second = "http://api.example.org/v1/apprenants";
    expectRefusedAtOpen(drain(s), "url");
    s.push_back({"allow_http", "true"});
    expectRefusedAtOpen(drain(s), "url");  // allowed only for localhost / 127.0.0.1
}

TEST_F(SourceRestTls, SettingsItCannotUseAreRefusedByName) {
    Settings s = baseSettings("/v1/apprenants", "none");
    s.push_back({"page_size", "50"});
    expectRefusedAtOpen(drain(s), "page_size");

    s = baseSettings("/v1/apprenants", "sometimes");
    expectRefusedAtOpen(drain(s), "pagination");

    s = baseSettings("/v1/apprenants", "cursor");
    expectRefusedAtOpen(drain(s), "cursor.path");

    s = baseSettings("/v1/apprenants", "none");
    s.push_back({"token_file", "secrets/token"});
    expectRefusedAtOpen(drain(s), "token_file");  // relative: would depend on the working folder

    s = baseSettings("/v1/apprenants", "none");
    s.push_back({"column.PRENOM", "identite..prenoms"});
    expectRefusedAtOpen(drain(s), "column.PRENOM");

    s = baseSettings("/v1/apprenants", "none");
    s[0].second = "https://svc:pw@localhost/v1/apprenants";
    const Drained userInfo = drain(s);
    expectRefusedAtOpen(userInfo, "url");
    EXPECT_EQ(userInfo.fatal.find("pw@"), std::string::npos) << userInfo.fatal;
}

TEST_F(SourceRestTls, APasswordFileOpenToGroupOrOthersIsRefused) {
    // 0600 like the gateway's own keys: group read (0640) is refused as well as world read.
    for (const fs::perms extra : {fs::perms::others_read, fs::perms::group_read, fs::perms::group_write}) {
        const fs::path password = secretFile("password", kPassword);
        fs::permissions(password, extra, fs::perm_options::add);
        Settings s = baseSettings("/v1/apprenants", "none");
        s.push_back({"login.url", api().url("/auth/token")});
        s.push_back({"login.username", kUsername});
        s.push_back({"login.password_file", password.string()});
        const Drained d = drain(s);
        expectRefusedAtOpen(d, "login.password_file");
        EXPECT_NE(d.fatal.find("run chmod 600 " + password.string()), std::string::npos) << d.fatal;
        EXPECT_EQ(d.fatal.find(kPassword), std::string::npos) << d.fatal;
        EXPECT_TRUE(api().requests("/auth/token").empty());
    }
}

}  // namespace
}  // namespace passerelle::integration::rest
