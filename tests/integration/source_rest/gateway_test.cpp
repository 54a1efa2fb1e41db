// source.rest inside the real gateway: `passerelle check-config` loads and
// opens it (logging in to the API), then `passerelle transfer` reads a paged
// API over HTTPS and the Region's survey files hold exactly its records.

#include <sys/stat.h>

#include "../support/exchange_fixture.h"
#include "fake_rest_api.h"

namespace passerelle::integration {
namespace {

using rest::FakeRestApi;
using rest::Reply;
using rest::SeenRequest;

constexpr const char* kPassword = "S3cret-Gateway-Pass";
constexpr const char* kToken = "tok-Gateway-1";

std::string learner(int n, const std::string& name) {
    const std::string code = "E20" + std::to_string(n);
    return R"({"code":")" + code + R"(","identite":{"nom_naissance":")" + name +
           R"(","prenoms":"Ana"},"contact":{"mail":")" + code +
           R"(@example.org"},"formation":{"libelle":"Synthetic course","rncp":"RNCP34567","dispositif":"FORPRO_SUP"},)"
           R"("dates":{"entree":"2024-09-02","sortie":"2025-06-30"}})";
}

class SourceRestGateway : public ExchangeTest {
protected:
    // univ-montpellier reading the API instead of a CSV export.
    Institution writeRestInstitution(int regionPort, const FakeRestApi& api, const fs::path& passwordFile) {
        Institution inst{"univ-montpellier", root() / "univ-montpellier", root() / "univ-montpellier.ini"};
        std::ostringstream ini;
        ini << "[gateway]\nrole = institution\nparty = univ-montpellier\nname = univ-montpellier "
               "(integration "
               "test)\nuai = 0342321N\nstate_dir = "
            << inst.stateDir().string() << "\nkeys_dir = " << inst.keysDir().string()
            << "\nplugins_dir = " << PASSERELLE_PLUGIN_DIR
            << "\n\n[tls]\ncertificate = " << (pki() / "univ-montpellier.crt").string()
            << "\nprivate_key = " << (pki() / "univ-montpellier.key").string()
            << "\nca = " << (pki() / "ca.crt").string() << "\n\n[peer." << kRegion
            << "]\nurl = https://localhost:" << regionPort
            << "\npublic_keys = " << (regionDir() / "keys" / "public.keys").string() << "\n\n"
            << purposeSections() << "[job.survey-contact]\npurpose = " << kSurveyPurpose
            << "\nrecipient = " << kRegion << "\nsource = source.rest\n"
            << "source.url = " << api.url("/v1/apprenants") << "\n"
            << "source.ca_file = " << (pki() / "ca.crt").string() << "\n"
            << "source.login.url = " << api.url("/auth/token") << "\n"
            << "source.login.username = svc-passerelle\n"
            << "source.login.password_file = " << passwordFile.string() << "\n"
            << "source.pagination = page\nsource.page.size_param = taille\nsource.page.size = 2\n"
            << "source.items_path = content\nsource.retry_delay_ms = 10\n"
            << "source.column.CODE = code\nsource.column.NOM = identite.nom_naissance\n"
            << "source.column.PRENOM = identite.prenoms\nsource.column.MAIL = contact.mail\n"
            << "source.column.FORMATION = formation.libelle\nsource.column.RNCP = formation.rncp\n"
            << "source.column.PROGRAMME = formation.dispositif\nsource.column.ENTREE = dates.entree\n"
            << "source.column.SORTIE = dates.sortie\n"
            << "map.local_student_id = CODE\nmap.birth_name = NOM\nmap.first_names = PRENOM\nmap.email = "
               "MAIL\n"
            << "map.course_title = FORMATION\nmap.rncp_code = RNCP\nmap.programme = PROGRAMME\n"
            << "map.entry_date = ENTREE\nmap.exit_date = SORTIE\n";
        writeFile(inst.config, ini.str());
        return inst;
    }
};

TEST_F(SourceRestGateway, CheckConfigOpensTheSourceAndATransferDeliversTheApisRecords) {
    makePki({kRegion, "univ-montpellier", "pegase-api"});
    ASSERT_FALSE(HasFailure());
    FakeRestApi api(pki() / "pegase-api.crt", pki() / "pegase-api.key", pki() / "ca.crt");
    api.on("/auth/token", [](const SeenRequest& r, int) {
        return r.body.find(kPassword) != std::string::npos
                   ? Reply{200, R"({"access_token":")" + std::string(kToken) + "\"}"}
                   : Reply{401, "{}"};
    });
    api.on("/v1/apprenants", [](const SeenRequest& r, int) {
        if (r.authorization != std::string("Bearer ") + kToken) return Reply{401, "{}"};
        const std::string page = r.query.count("page") ? r.query.at("page") : "";
        if (page == "1")
            return Reply{
                200, R"({"content":[)" + learner(1, "Alpha-Test") + "," + learner(2, "Bravo-Test") + "]}"};
        if (page == "2") return Reply{200, R"({"content":[)" + learner(3, "Charlie-Test") + "]}"};
        return Reply{200, R"({"content":[]})"};
    });
    const fs::path passwordFile = root() / "secrets" / "pegase-password";
    writeFile(passwordFile, std::string(kPassword) + "\n");
    fs::permissions(passwordFile, fs::perms::owner_read | fs::perms::owner_write);

    writeRegionConfig({{"univ-montpellier"}});
    keysInit(regionConfig(), "region");
    Institution inst = writeRestInstitution(0, api, passwordFile);
    keysInit(inst.config, "univ-montpellier");
    ASSERT_FALSE(HasFailure());

    const auto check = passerelle({"check-config", "--config", inst.config.string()}, "check-config");
    ASSERT_EQ(check.exitCode, 0) << check;
    EXPECT_NE(check.out.find("plugin source.rest loads and opens its source"), std::string::npos)
        << check.out;
    EXPECT_EQ(api.requests("/auth/token").size(), 0u)
        << "check-config checks the settings and files without the network";

    // Reading one record is what proves the account and the address.
    const auto preview = passerelle({"preview", "--config", inst.config.string(), "--job", "survey-contact",
                                     "--rows", "1", "--raw", "--json"},
                                    "preview");
    ASSERT_EQ(preview.exitCode, 0) << preview;
    EXPECT_EQ(api.requests("/auth/token").size(), 1u);
    EXPECT_EQ(preview.err.find(kPassword), std::string::npos) << preview;

    auto region = startRegion();
    ASSERT_TRUE(region);
    inst = writeRestInstitution(region->port(), api, passwordFile);
    const auto transfer =
        passerelle({"transfer", "--config", inst.config.string(), "--job", "survey-contact", "--json"},
                   "univ-montpellier.transfer");
    ASSERT_EQ(transfer.exitCode, 0) << transfer << "\n--- region log ---\n" << region->log();
    const auto summary = parseJson(transfer.out);
    EXPECT_EQ(summary->getValue<std::uint64_t>("rows_read"), 3u) << transfer.out;
    EXPECT_EQ(summary->getValue<std::uint64_t>("sealed"), 3u) << transfer.out;
    EXPECT_TRUE(summary->getValue<bool>("receipted")) << transfer.out;
    EXPECT_EQ(api.requests("/v1/apprenants").size(), 4u)
        << "page 1 for the preview, then pages 1, 2 and the empty page 3 for the transfer";

    const std::string batchId = summary->getValue<std::string>("batch_id");
    const fs::path sinkFile = regionSink() / ("univ-montpellier_" + batchId + ".csv");
    ASSERT_TRUE(waitUntil([&] { return fs::exists(sinkFile); }, 15s)) << region->log();
    const std::string delivered = readFile(sinkFile);
    for (const char* name : {"Alpha-Test", "Bravo-Test", "Charlie-Test"}) {
        EXPECT_NE(delivered.find(name), std::string::npos) << name << " did not arrive";
    }
    EXPECT_EQ(lines(delivered).size(), 4u) << "a header and three records";
    for (const std::string& log : {transfer.out, transfer.err, check.out, check.err, region->log()}) {
        EXPECT_EQ(log.find(kPassword), std::string::npos);
        EXPECT_EQ(log.find(kToken), std::string::npos);
    }
}

// An API that fails on page 2: the preview's JSON on stdout is still one valid
// array (the header and page 1's records), the error names the page on stderr,
// and the exit code says the read did not finish.
TEST_F(SourceRestGateway, APreviewWhoseSourceFailsMidwayStillPrintsValidJson) {
    makePki({kRegion, "univ-montpellier", "pegase-api"});
    ASSERT_FALSE(HasFailure());
    FakeRestApi api(pki() / "pegase-api.crt", pki() / "pegase-api.key", pki() / "ca.crt");
    api.on("/auth/token", [](const SeenRequest&, int) {
        return Reply{200, R"({"access_token":")" + std::string(kToken) + "\"}"};
    });
    api.on("/v1/apprenants", [](const SeenRequest& r, int) {
        const auto page = r.query.find("page");
        if (page != r.query.end() && page->second == "1") {
            return Reply{200, R"({"content":[)" + learner(1, "Alpha-Test") + "," + learner(2, "Bravo-Test") + "]}"};
        }
        return Reply{500, "{}"};
    });
    const fs::path passwordFile = root() / "secrets" / "pegase-password";
    writeFile(passwordFile, std::string(kPassword) + "\n");
    fs::permissions(passwordFile, fs::perms::owner_read | fs::perms::owner_write);
    writeRegionConfig({{"univ-montpellier"}});
    Institution inst = writeRestInstitution(0, api, passwordFile);
    std::string config = readFile(inst.config);
    config.replace(config.find("source.retry_delay_ms = 10"), 26, "source.retry_delay_ms = 10\nsource.retries = 1");
    writeFile(inst.config, config);

    const auto preview = passerelle(
        {"preview", "--config", inst.config.string(), "--job", "survey-contact", "--rows", "0", "--raw", "--json"},
        "preview");
    EXPECT_EQ(preview.exitCode, 3) << preview;
    EXPECT_NE(preview.err.find("page 2"), std::string::npos) << preview;
    Poco::JSON::Array::Ptr rows;
    ASSERT_NO_THROW(rows = Poco::JSON::Parser().parse(preview.out).extract<Poco::JSON::Array::Ptr>()) << preview.out;
    ASSERT_EQ(rows->size(), 3u) << "the column names and page 1's two records\n" << preview.out;
    EXPECT_NE(preview.out.find("Bravo-Test"), std::string::npos);
    EXPECT_EQ(preview.err.find(kPassword), std::string::npos);
    EXPECT_EQ(preview.err.find(kToken), std::string::npos);
}

}  // namespace
}  // namespace passerelle::integration
