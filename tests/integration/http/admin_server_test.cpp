// The admin listener in process, with a registry and a status source of the
// test's own: /metrics is a Prometheus exposition, /status the source's JSON,
// nothing else is served, and it stays a loopback-only, read-only listener.

#include "transport/admin_server.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "../support/child_process.h"
#include "common/errors.h"
#include "metrics/exposition.h"
#include "metrics/registry.h"
#include "peer_client.h"

namespace passerelle::integration {
namespace {

const std::filesystem::path kAdminOpenApi =
    std::filesystem::path(PASSERELLE_SOURCE_DIR) / "docs" / "openapi-admin.json";

// One request over plain HTTP, as a Prometheus scraper or curl would send it.
RawResponse adminRequest(int port, const std::string& method, const std::string& path,
                         const std::string& body = {}, const std::string& host = "127.0.0.1") {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setHost(host, static_cast<Poco::UInt16>(port));
    if (!body.empty()) request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    RawResponse r;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), r.body);
    r.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response) {
        std::string lower = name;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[lower] = value;
    }
    return r;
}

std::string errorCode(const RawResponse& r) {
    try {
        return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->optValue<std::string>(
            "error", "");
    } catch (const Poco::Exception&) {
        return "(not JSON: " + r.body + ")";
    }
}

class AdminServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        config_.file = "admin-test.ini";
        config_.admin = config::AdminSettings{"127.0.0.1", 0};
        auto& batches =
            registry_.counter("passerelle_test_batches_total", "Batches (test)", {"peer", "outcome"});
        batches.labels({"univ-montpellier", "receipted"}).inc(3);
        batches.labels({"univ \"quoted\"\\back\nslash", "failed"}).inc();
        registry_.gauge("passerelle_test_queue_depth", "Queue depth (test)").labels().set(2.5);
        auto& latency =
            registry_.histogram("passerelle_test_latency_seconds", "Latency (test)", {"route"}, {0.1, 1, 10});
        latency.labels({"/v1/batches"}).observe(0.5);
        latency.labels({"/v1/batches"}).observe(20);
        server_ = std::make_unique<transport::AdminServer>(
            config_,
            [this] {
                ++statusCalls_;
                if (failStatus_) throw std::runtime_error("state store unavailable");
                return std::string(
                    R"({"party":"region-occitanie","role":"region","time":"2026-01-01T00:00:00Z"})");
            },
            registry_);
        server_->start();
        port_ = server_->port();
    }

    void TearDown() override { server_->stop(); }

    config::GatewayConfig config_;
    metrics::Registry registry_;
    std::atomic<int> statusCalls_{0};
    std::atomic<bool> failStatus_{false};
    std::unique_ptr<transport::AdminServer> server_;
    int port_ = 0;
};

TEST_F(AdminServerTest, MetricsIsAPrometheusExpositionOfTheRegistry) {
    ASSERT_GT(port_, 0);
    EXPECT_EQ(server_->url(), "http://127.0.0.1:" + std::to_string(port_));
    const auto r = adminRequest(port_, "GET", "/metrics");
    ASSERT_EQ(r.status, 200) << r;
    EXPECT_EQ(r.header("content-type"), std::string(metrics::kExpositionContentType));

    // Every line a comment (# HELP / # TYPE) or a sample `name{labels} value`.
    static const std::regex sampleLine(
        R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*\})? (-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$)");
    static const std::regex commentLine(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$)");
    std::istringstream in(r.body);
    int samples = 0;
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("#")) {
            EXPECT_TRUE(std::regex_match(line, commentLine)) << "bad comment line: " << line;
        } else {
            EXPECT_TRUE(std::regex_match(line, sampleLine)) << "bad sample line: " << line;
            ++samples;
        }
    }
    EXPECT_EQ(r.body, registry_.render()) << "/metrics must be the registry's rendering";
    // 2 counters, 1 gauge, a histogram of 3 bounds + Inf + sum + count.
    EXPECT_EQ(samples, 2 + 1 + 6) << r.body;
    EXPECT_NE(r.body.find(R"(passerelle_test_batches_total{peer="univ-montpellier",outcome="receipted"} 3)"),
              std::string::npos)
        << r.body;
    EXPECT_NE(r.body.find(R"(passerelle_test_latency_seconds_bucket{route="/v1/batches",le="+Inf"} 2)"),
              std::string::npos)
        << r.body;
}

TEST_F(AdminServerTest, StatusIsTheSourcesJsonReadAtEachRequest) {
    const auto r = adminRequest(port_, "GET", "/status");
    ASSERT_EQ(r.status, 200) << r;
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.body, R"({"party":"region-occitanie","role":"region","time":"2026-01-01T00:00:00Z"})");
    adminRequest(port_, "GET", "/status?again=1");
    EXPECT_EQ(statusCalls_.load(), 2);

    failStatus_ = true;
    const auto failed = adminRequest(port_, "GET", "/status");
    EXPECT_EQ(failed.status, 500) << failed;
    EXPECT_EQ(errorCode(failed), "internal_error") << failed;
    EXPECT_EQ(failed.body.find("state store"), std::string::npos) << "the cause belongs in the log only";
}

TEST_F(AdminServerTest, OnlyGetMetricsAndGetStatusAreServed) {
    for (const std::string path : {"/", "/metrics/", "/v1/health", "/v1/batches", "/status.json", "/admin"}) {
        const auto r = adminRequest(port_, "GET", path);
        EXPECT_EQ(r.status, 404) << path << ": " << r;
        EXPECT_EQ(errorCode(r), "not_found") << path;
    }
    for (const std::string path : {"/metrics", "/status"}) {
        for (const std::string method : {"POST", "PUT", "DELETE", "HEAD"}) {
            const auto r = adminRequest(port_, method, path, method == "POST" ? "x=1" : "");
            EXPECT_EQ(r.status, 405) << method << " " << path << ": " << r;
            EXPECT_EQ(r.header("allow"), "GET") << method << " " << path;
        }
        const auto withBody = adminRequest(port_, "GET", path, "unexpected");
        EXPECT_EQ(withBody.status, 413) << path << ": " << withBody;
        EXPECT_EQ(errorCode(withBody), "request_too_large");
    }
    // A page whose host name was rebound to 127.0.0.1 is not answered.
    const auto rebound = adminRequest(port_, "GET", "/status", "", "attacker.example");
    EXPECT_EQ(rebound.status, 403) << rebound;
    EXPECT_EQ(errorCode(rebound), "forbidden_host");
    EXPECT_EQ(adminRequest(port_, "GET", "/metrics", "", "localhost").status, 200);
    // What is served is what docs/openapi-admin.json documents.
    const auto doc = Poco::JSON::Parser().parse(readFile(kAdminOpenApi)).extract<Poco::JSON::Object::Ptr>();
    std::set<std::string> documented;
    for (const auto& [path, item] : *doc->getObject("paths")) {
        for (const auto& [method, op] : *item.extract<Poco::JSON::Object::Ptr>())
            documented.insert(method + " " + path);
    }
    EXPECT_EQ(documented, (std::set<std::string>{"get /metrics", "get /status"}));
}

TEST(AdminServerConfig, WithoutAnAdminSectionOrOnABusyPortItNamesTheKey) {
    config::GatewayConfig config;
    config.file = "gateway.ini";
    try {
        transport::AdminServer server(config, [] { return std::string("{}"); });
        ADD_FAILURE() << "an admin listener was made without [admin]";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("admin.listen"), std::string::npos) << e.what();
    }
    config.admin = config::AdminSettings{"127.0.0.1", 0};
    transport::AdminServer first(config, [] { return std::string("{}"); });
    config.admin->listenPort = first.port();
    try {
        transport::AdminServer second(config, [] { return std::string("{}"); });
        ADD_FAILURE() << "two admin listeners bound one port";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("gateway.ini: key 'admin.listen'"), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace passerelle::integration
