// docs/openapi.json against what the gateways serve: the route tables of both
// roles equal the documented operations, a running Region answers every
// documented operation and nothing else, and the description itself carries
// the listener's answers (429 with Retry-After, 411, 413...) on every route.

#include <Poco/JSON/Array.h>
#include <Poco/String.h>

#include "../support/exchange_fixture.h"
#include "daemon/exchange_routes.h"
#include "party/gateway.h"
#include "peer_client.h"
#include "receive/batch_receiver.h"
#include "send/extraction.h"
#include "transport/exchange_server.h"

namespace passerelle::integration {
namespace {

const fs::path kOpenApi = fs::path(PASSERELLE_SOURCE_DIR) / "docs" / "openapi.json";
const std::vector<std::string> kOperationKeys = {"get",     "put",  "post",  "delete",
                                                 "options", "head", "patch", "trace"};

struct Operation {
    std::string method;  // upper case
    std::string path;
    std::set<std::string> servedBy;  // x-passerelle-served-by
    Poco::JSON::Object::Ptr object;
    auto key() const { return std::tie(method, path); }
    bool operator<(const Operation& other) const { return key() < other.key(); }
};

Poco::JSON::Object::Ptr loadJson(const fs::path& file) {
    return Poco::JSON::Parser().parse(readFile(file)).extract<Poco::JSON::Object::Ptr>();
}

std::vector<Operation> documentedOperations(const Poco::JSON::Object::Ptr& doc) {
    std::vector<Operation> operations;
    const auto paths = doc->getObject("paths");
    for (const auto& [path, item] : *paths) {
        const auto pathItem = item.extract<Poco::JSON::Object::Ptr>();
        for (const std::string& key : kOperationKeys) {
            if (!pathItem->has(key)) continue;
            Operation op;
            op.method = Poco::toUpper(key);
            op.path = path;
            op.object = pathItem->getObject(key);
            const auto servedBy = op.object->getArray("x-passerelle-served-by");
            if (servedBy) {
                for (std::size_t i = 0; i < servedBy->size(); ++i)
                    op.servedBy.insert(servedBy->getElement<std::string>(i));
            }
            operations.push_back(op);
        }
    }
    return operations;
}

std::set<std::pair<std::string, std::string>> documentedFor(const std::vector<Operation>& operations,
                                                            const std::string& role) {
    std::set<std::pair<std::string, std::string>> out;
    for (const auto& op : operations) {
        if (op.servedBy.contains(role)) out.emplace(op.method, op.path);
    }
    return out;
}

std::set<std::pair<std::string, std::string>> served(const transport::ExchangeServer& server) {
    std::set<std::pair<std::string, std::string>> out;
    for (const auto& route : server.routes()) out.emplace(route.method, route.path);
    return out;
}

std::string describe(const std::set<std::pair<std::string, std::string>>& routes) {
    std::string out;
    for (const auto& [method, path] : routes) out += "\n  " + method + " " + path;
    return out.empty() ? " (none)" : out;
}

// Follows a local "$ref" (#/components/...) once.
Poco::JSON::Object::Ptr resolve(const Poco::JSON::Object::Ptr& doc, Poco::JSON::Object::Ptr node) {
    if (!node || !node->has("$ref")) return node;
    const std::string ref = node->getValue<std::string>("$ref");
    Poco::JSON::Object::Ptr at = doc;
    std::istringstream parts(ref.substr(2));
    for (std::string part; std::getline(parts, part, '/');) at = at->getObject(part);
    return at;
}

class OpenApiRoutesTest : public ExchangeTest {
protected:
    void SetUp() override {
        ExchangeTest::SetUp();
        ASSERT_TRUE(fs::exists(kOpenApi)) << kOpenApi;
        doc_ = loadJson(kOpenApi);
        operations_ = documentedOperations(doc_);
    }

    // The Region and univ-montpellier, keys made; univ-montpellier listening (gateway.listen) when asked.
    Institution configureBoth(bool institutionListens) {
        makePki({kRegion, "univ-montpellier"});
        writeRegionConfig({{"univ-montpellier"}});
        keysInit(regionConfig(), "region");
        Institution inst =
            writeInstitutionConfig("univ-montpellier", "univ-montpellier", 0, root() / "none.csv");
        if (institutionListens) {
            std::string ini = readFile(inst.config);
            ini.insert(ini.find("[gateway]\n") + 10, "listen = 127.0.0.1:0\n");
            writeFile(inst.config, ini);
        }
        keysInit(inst.config, "univ-montpellier");
        return inst;
    }

    Poco::JSON::Object::Ptr doc_;
    std::vector<Operation> operations_;
};

TEST_F(OpenApiRoutesTest, EveryServedRouteOfBothRolesIsDocumentedAndNothingElse) {
    const Institution inst = configureBoth(true);
    ASSERT_FALSE(HasFailure());

    auto region = exchange::Gateway::open(regionConfig());
    exchange::BatchReceiver receiver(exchange::receivingParts(*region), region->store().locks(), {});
    const transport::ExchangeServer regionServer(region->config(), exchange::regionRoutes(*region, receiver));
    EXPECT_EQ(served(regionServer), documentedFor(operations_, "region"))
        << "the Region serves:" << describe(served(regionServer))
        << "\ndocs/openapi.json says (x-passerelle-served-by: region):"
        << describe(documentedFor(operations_, "region"));

    auto institution = exchange::Gateway::open(inst.config);
    exchange::ExtractionService extractions(exchange::sendingParts(*institution),
                                            store::ExtractionRequests(institution->store().sharedDatabase()),
                                            {});
    const transport::ExchangeServer institutionServer(institution->config(),
                                                      exchange::institutionRoutes(*institution, extractions));
    EXPECT_EQ(served(institutionServer), documentedFor(operations_, "institution"))
        << "an institution serves:" << describe(served(institutionServer))
        << "\ndocs/openapi.json says (x-passerelle-served-by: institution):"
        << describe(documentedFor(operations_, "institution"));

    for (const auto& op : operations_) {
        EXPECT_FALSE(op.servedBy.empty()) << op.method << " " << op.path << " has no x-passerelle-served-by";
    }
}

TEST_F(OpenApiRoutesTest, TheDescriptionCarriesTheListenersAnswersOnEveryOperation) {
    EXPECT_EQ(doc_->getValue<std::string>("openapi"), "3.1.0");
    const auto scheme =
        doc_->getObject("components")->getObject("securitySchemes")->getObject("peerCertificate");
    ASSERT_TRUE(scheme);
    EXPECT_EQ(scheme->getValue<std::string>("type"), "mutualTLS");

    for (const auto& op : operations_) {
        const std::string what = op.method + " " + op.path;
        const auto responses = op.object->getObject("responses");
        ASSERT_TRUE(responses) << what;
        std::vector<std::string> expected = {"401", "413", "429", "500"};
        if (op.object->has("requestBody")) expected.push_back("411");
        for (const std::string& status : expected) {
            ASSERT_TRUE(responses->has(status)) << what << " does not document " << status;
            const auto response = resolve(doc_, responses->getObject(status));
            ASSERT_TRUE(response && response->has("content")) << what << " " << status;
            const auto schema =
                response->getObject("content")->getObject("application/json")->getObject("schema");
            ASSERT_TRUE(schema) << what << " " << status << " is not the JSON Error";
            std::ostringstream text;
            schema->stringify(text);
            EXPECT_NE(text.str().find("#/components/schemas/Error"), std::string::npos)
                << what << " " << status;
        }
        const auto limited = resolve(doc_, responses->getObject("429"));
        ASSERT_TRUE(limited->has("headers")) << what << ": 429 without Retry-After";
        EXPECT_TRUE(limited->getObject("headers")->has("Retry-After")) << what;
        EXPECT_TRUE(op.object->has("x-passerelle-max-body-bytes")) << what;
    }
    // The listener's own error codes are all documented.
    const std::string text = readFile(kOpenApi);
    for (const char* code : {"no_client_certificate", "not_found", "method_not_allowed", "length_required",
                             "request_too_large", "rate_limited", "internal_error", "transfer_encoding_not_supported",
                             "ambiguous_length", "bad_request"}) {
        EXPECT_NE(text.find(std::string("\"") + code + "\""), std::string::npos)
            << code << " is not documented";
    }
    const auto unrouted = doc_->getObject("x-passerelle-unrouted-responses");
    ASSERT_TRUE(unrouted);
    const auto notAllowed = resolve(doc_, unrouted->getObject("405"));
    EXPECT_TRUE(notAllowed->getObject("headers")->has("Allow"));
}

TEST_F(OpenApiRoutesTest, ARunningRegionAnswersEveryDocumentedOperationAndOnlyThose) {
    configureBoth(false);
    ASSERT_FALSE(HasFailure());
    auto region = startRegion();
    ASSERT_TRUE(region);
    const PeerClient peer(pki(), "univ-montpellier");

    std::map<std::string, std::set<std::string>> regionMethods;  // path -> documented methods
    std::set<std::string> regionPaths, allPaths;
    for (const auto& op : operations_) {
        allPaths.insert(op.path);
        if (op.servedBy.contains("region")) regionMethods[op.path].insert(op.method);
    }
    for (const auto& [path, methods] : regionMethods) {
        for (const std::string& method : methods) {
            // An empty body: the point is that the route exists, not that the request is good.
            const auto r = peer.request(region->port(), method, path);
            EXPECT_NE(r.status, 0) << method << " " << path << ": no answer\n" << region->log();
            EXPECT_NE(r.status, 404) << method << " " << path << " is documented but not served:\n" << r;
            EXPECT_NE(r.status, 405) << method << " " << path << " is documented but not served:\n" << r;
        }
        // The methods it does not document on a path it serves: 405, and Allow says the documented ones.
        std::string allow;
        for (const auto& m : methods) allow += (allow.empty() ? "" : ", ") + m;
        for (const std::string method : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
            if (methods.contains(method)) continue;
            const auto r = peer.request(region->port(), method, path);
            EXPECT_EQ(r.status, 405) << method << " " << path << ":\n" << r;
            EXPECT_EQ(r.header("allow"), allow) << method << " " << path;
            EXPECT_EQ(parseJson(r.body)->optValue<std::string>("error", ""), "method_not_allowed") << r;
        }
    }
    // Paths the Region does not serve: the institution's, the admin listener's, and guesses.
    std::vector<std::string> elsewhere = {"/",        "/v1",     "/v1/batches/x",        "/v2/batches",
                                          "/metrics", "/status", "/v1/health/../batches"};
    for (const auto& path : allPaths) {
        if (!regionMethods.contains(path)) elsewhere.push_back(path);
    }
    for (const auto& path : elsewhere) {
        for (const std::string method : {"GET", "POST"}) {
            const auto r = peer.request(region->port(), method, path);
            EXPECT_EQ(r.status, 404) << method << " " << path << ":\n" << r;
            EXPECT_EQ(parseJson(r.body)->optValue<std::string>("error", ""), "not_found") << r;
        }
    }
    stopGateway(region->process());
}

}  // namespace
}  // namespace passerelle::integration
