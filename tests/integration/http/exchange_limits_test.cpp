// The exchange listener's limits ([http]), seen from a peer: a flood from one
// certificate is refused with Retry-After while another peer goes through; a
// body above a route's limit, without a length or on a GET is refused before
// any handler reads it (and the refusal is still in the ledger); a wrong
// method gets 405 with Allow; a client that says nothing is disconnected
// after timeout_seconds. Each request is counted by route template.

#include <Poco/JSON/Array.h>

#include <optional>
#include <thread>

#include "../support/exchange_fixture.h"
#include "metrics/registry.h"
#include "peer_client.h"
#include "transport/exchange_server.h"

namespace passerelle::integration {
namespace {

class ExchangeLimitsTest : public ExchangeTest {
protected:
    // The Region with univ-montpellier as its peer, univ-toulouse3 only in the PKI,
    // `http` as its [http] section and `gatewayKeys` added to [gateway].
    void startLimitedRegion(const std::string& http, const std::string& gatewayKeys = {}) {
        makePki({kRegion, "univ-montpellier", "univ-toulouse3"});
        writeRegionConfig({{"univ-montpellier"}});
        std::string ini = readFile(regionConfig());
        ini.insert(ini.find("[gateway]\n") + 10, gatewayKeys);
        writeFile(regionConfig(), ini + "[http]\n" + http);
        keysInit(regionConfig(), "region");
        const Institution inst =
            writeInstitutionConfig("univ-montpellier", "univ-montpellier", 0, root() / "none.csv");
        keysInit(inst.config, "univ-montpellier");
        ASSERT_FALSE(HasFailure());
        region_ = startRegion();
        ASSERT_TRUE(region_);
    }

    int port() const { return region_->port(); }

    std::string errorCode(const RawResponse& r) {
        return parseJson(r.body)->optValue<std::string>("error", "");
    }

    std::vector<Poco::JSON::Object::Ptr> ledgerEntries(const fs::path& config, const std::string& operation) {
        const auto r =
            passerelle({"audit", "list", "--config", config.string(), "--operation", operation, "--json"},
                       "audit-list-" + operation);
        EXPECT_EQ(r.exitCode, 0) << r;
        std::vector<Poco::JSON::Object::Ptr> entries;
        try {
            const auto list = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Array::Ptr>();
            for (std::size_t i = 0; i < list->size(); ++i)
                entries.push_back(list->getObject(static_cast<unsigned>(i)));
        } catch (const Poco::Exception& e) {
            ADD_FAILURE() << "audit list --json is not a JSON array (" << e.displayText() << "): " << r.out;
        }
        return entries;
    }

    void TearDown() override {
        if (region_) stopGateway(region_->process());
        ExchangeTest::TearDown();
    }

    std::unique_ptr<RunningRegion> region_;
};

TEST_F(ExchangeLimitsTest, AFloodFromOnePeerIsRefusedWithRetryAfterWhileAnotherPeerGetsThrough) {
    startLimitedRegion("rate_per_minute = 60\nburst = 5\n");
    ASSERT_FALSE(HasFailure());
    const PeerClient montpellier(pki(), "univ-montpellier");
    const PeerClient toulouse(pki(), "univ-toulouse3");

    int served = 0;
    std::optional<RawResponse> refused;
    for (int i = 0; i < 20 && !refused; ++i) {
        auto r = montpellier.request(port(), "GET", "/v1/health");
        if (r.status == 200) {
            ++served;
        } else {
            refused = r;
        }
    }
    ASSERT_TRUE(refused) << "20 requests in a row were all served with burst = 5";
    // The burst, plus at most a token or two earned while the handshakes ran.
    EXPECT_GE(served, 5);
    EXPECT_LE(served, 7);
    EXPECT_EQ(refused->status, 429) << *refused;
    EXPECT_EQ(errorCode(*refused), "rate_limited") << *refused;
    const std::string message = parseJson(refused->body)->optValue<std::string>("message", "");
    EXPECT_NE(message.find("60 requests per minute"), std::string::npos) << message;
    EXPECT_NE(message.find("5 at once"), std::string::npos) << message;
    const std::string retryAfter = refused->header("retry-after");
    ASSERT_FALSE(retryAfter.empty()) << *refused;
    ASSERT_TRUE(std::all_of(retryAfter.begin(), retryAfter.end(), ::isdigit))
        << "not whole seconds: " << retryAfter;
    EXPECT_GE(std::stoi(retryAfter), 1);
    EXPECT_LE(std::stoi(retryAfter), 2);  // one token a second

    // Another certificate has its own bucket.
    const auto other = toulouse.request(port(), "GET", "/v1/health");
    EXPECT_EQ(other.status, 200) << other;

    // After Retry-After, the flooding peer is served again.
    std::this_thread::sleep_for(std::chrono::seconds(std::stoi(retryAfter)));
    const auto again = montpellier.request(port(), "GET", "/v1/health");
    EXPECT_EQ(again.status, 200) << again;
}

TEST_F(ExchangeLimitsTest,
       BodiesAboveTheRouteLimitOrWithoutALengthAndWrongMethodsAreRefusedBeforeAnyHandler) {
    startLimitedRegion("max_request_bytes = 1024\n", "max_batch_bytes = 4096\n");
    ASSERT_FALSE(HasFailure());
    const PeerClient peer(pki(), "univ-montpellier");

    // A batch above gateway.max_batch_bytes: refused on its Content-Length, and in the ledger.
    const auto bigBatch = peer.send(port(), rawRequest("POST", "/v1/batches", std::string(5000, 'x'),
                                                       "Content-Type: application/vnd.passerelle.batch\r\n"));
    EXPECT_EQ(bigBatch.status, 413) << bigBatch;
    EXPECT_EQ(bigBatch.header("content-type"), "application/json") << bigBatch;
    EXPECT_EQ(errorCode(bigBatch), "request_too_large") << bigBatch;
    EXPECT_NE(parseJson(bigBatch.body)->optValue<std::string>("message", "").find("4096"), std::string::npos)
        << bigBatch;
    bool recorded = false;
    for (const auto& e : ledgerEntries(regionConfig(), "batch-refused")) {
        if (e->getValue<std::string>("reason").find("limited to 4096 bytes") != std::string::npos)
            recorded = true;
    }
    EXPECT_TRUE(recorded) << "a batch refused for its size must be a batch-refused ledger entry";

    // A body on a route that takes none (the Region's only non-batch route).
    const auto healthWithBody = peer.request(port(), "GET", "/v1/health", std::string(100, 'x'));
    EXPECT_EQ(healthWithBody.status, 413) << healthWithBody;
    EXPECT_EQ(errorCode(healthWithBody), "request_too_large") << healthWithBody;

    // No Content-Length and not chunked; then chunked, whose size cannot be checked first
    // (connection_limits_test.cpp has the other Transfer-Encoding cases).
    const auto noLength = peer.send(port(), rawRequest("POST", "/v1/batches", "", "", false));
    EXPECT_EQ(noLength.status, 411) << noLength;
    EXPECT_EQ(errorCode(noLength), "length_required") << noLength;
    const auto chunked = peer.send(port(), rawRequest("POST", "/v1/batches", "5\r\nhello\r\n0\r\n\r\n",
                                                      "Transfer-Encoding: chunked\r\n", false));
    EXPECT_EQ(chunked.status, 501) << chunked;
    EXPECT_EQ(errorCode(chunked), "transfer_encoding_not_supported") << chunked;

    // Wrong methods on served paths.
    const auto deleteHealth = peer.request(port(), "DELETE", "/v1/health");
    EXPECT_EQ(deleteHealth.status, 405) << deleteHealth;
    EXPECT_EQ(deleteHealth.header("allow"), "GET");
    EXPECT_EQ(errorCode(deleteHealth), "method_not_allowed") << deleteHealth;
    const auto getBatches = peer.request(port(), "GET", "/v1/batches");
    EXPECT_EQ(getBatches.status, 405) << getBatches;
    EXPECT_EQ(getBatches.header("allow"), "POST");

    // The Region still serves.
    EXPECT_EQ(peer.request(port(), "GET", "/v1/health").status, 200);
}

TEST_F(ExchangeLimitsTest, AnOversizedExtractionRequestIsRefusedByTheInstitutionsListenerAndLedgered) {
    startLimitedRegion("");
    ASSERT_FALSE(HasFailure());
    Institution inst =
        writeInstitutionConfig("univ-montpellier", "univ-montpellier", port(), root() / "none.csv");
    std::string ini = readFile(inst.config);
    ini.insert(ini.find("[gateway]\n") + 10, "listen = 127.0.0.1:0\n");
    writeFile(inst.config, ini + "[http]\nmax_request_bytes = 1024\n");

    ChildProcess institution({kPasserelle.string(), "run", "--config", inst.config.string()},
                             logs() / "institution");
    static const std::regex listening(R"(listening on https://127\.0\.0\.1:(\d+) \(extraction)");
    std::smatch match;
    std::string out;
    ASSERT_TRUE(waitUntil([&] { return std::regex_search(out = institution.out(), match, listening); }, 15s))
        << "the institution's listener did not start\n"
        << out << "\n"
        << institution.err();
    const int institutionPort = std::stoi(match[1].str());

    const PeerClient region(pki(), kRegion);
    const auto tooLarge = region.send(
        institutionPort,
        rawRequest("POST", "/v1/extractions", std::string(2000, ' '), "Content-Type: application/json\r\n"));
    EXPECT_EQ(tooLarge.status, 413) << tooLarge;
    EXPECT_EQ(errorCode(tooLarge), "request_too_large") << tooLarge;
    EXPECT_NE(parseJson(tooLarge.body)->optValue<std::string>("message", "").find("1024"), std::string::npos)
        << tooLarge;
    const auto noLength = region.send(institutionPort, rawRequest("POST", "/v1/extractions", "", "", false));
    EXPECT_EQ(noLength.status, 411) << noLength;

    std::set<std::string> denied;
    for (const auto& e : ledgerEntries(inst.config, "extraction-requested")) {
        if (e->getValue<std::string>("outcome") != "denied") continue;
        const std::string reason = e->getValue<std::string>("reason");
        denied.insert(reason.substr(0, reason.find(':')));
        EXPECT_EQ(e->getValue<std::string>("counterpart"), kRegion) << reason;
    }
    EXPECT_EQ(denied, (std::set<std::string>{"length_required", "request_too_large"}))
        << "every extraction request is in the institution's ledger, refused by the listener or not";
    stopGateway(institution);
}

// Waits for the server to close the connection; returns how long it took, or nullopt past `limit`.
std::optional<std::chrono::milliseconds> closedAfter(Poco::Net::StreamSocket& socket,
                                                     std::chrono::seconds limit) {
    const auto started = std::chrono::steady_clock::now();
    socket.setReceiveTimeout(Poco::Timespan(static_cast<long>(limit.count()), 0));
    char buffer[512];
    try {
        while (socket.receiveBytes(buffer, sizeof buffer) > 0) {
        }
    } catch (const Poco::TimeoutException&) {
        return std::nullopt;
    } catch (const Poco::Exception&) {
        // Reset: closed too.
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
}

TEST_F(ExchangeLimitsTest, AClientThatSaysNothingIsDisconnectedAfterTheTimeout) {
    startLimitedRegion("timeout_seconds = 2\nhandshake_seconds = 2\n");
    ASSERT_FALSE(HasFailure());
    const PeerClient peer(pki(), "univ-montpellier");
    // Poco waits a TLS read's timeout twice before giving up (a retry after the
    // first), so a silent TLS client goes after one to two timeouts.
    constexpr auto kTimeout = 2s;
    constexpr auto kLatest = 2 * kTimeout + 2s;

    // TLS established, then not a byte of HTTP.
    auto silent = peer.connect(port());
    const auto tlsIdle = closedAfter(silent, 15s);
    ASSERT_TRUE(tlsIdle) << "a silent TLS client was still connected after 15 s with timeout_seconds = 2";
    EXPECT_GE(*tlsIdle, kTimeout - 500ms);
    EXPECT_LE(*tlsIdle, kLatest);

    // Not even a TLS handshake: closed after handshake_seconds.
    Poco::Net::StreamSocket tcp(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port())));
    const auto tcpIdle = closedAfter(tcp, 15s);
    ASSERT_TRUE(tcpIdle) << "a silent TCP client was still connected after 15 s with timeout_seconds = 2";
    EXPECT_GE(*tcpIdle, kTimeout - 500ms);
    EXPECT_LE(*tcpIdle, kLatest);

    // A kept-alive connection left idle after one request.
    auto idle = peer.connect(port());
    const std::string request = "GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
    idle.sendBytes(request.data(), static_cast<int>(request.size()));
    char buffer[4096];
    const int n = idle.receiveBytes(buffer, sizeof buffer);
    ASSERT_GT(n, 0);
    EXPECT_EQ(parseRawResponse(std::string(buffer, static_cast<std::size_t>(n))).status, 200);
    const auto keptAlive = closedAfter(idle, 15s);
    ASSERT_TRUE(keptAlive)
        << "an idle keep-alive connection was still open after 15 s with timeout_seconds = 2";
    EXPECT_GE(*keptAlive, kTimeout - 500ms);
    EXPECT_LE(*keptAlive, kLatest);

    // None of it stopped the listener.
    EXPECT_EQ(peer.request(port(), "GET", "/v1/health").status, 200) << region_->log();
}

// The listener's counters, in process: by route template and status class, never the raw URI.
class ExchangeMetricsTest : public ExchangeTest {};

double sample(const std::string& exposition, const std::string& series) {
    std::istringstream in(exposition);
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
    }
    return 0;
}

TEST_F(ExchangeMetricsTest, RequestsAreCountedByRouteAndStatusClassAndRateLimitedOnesByPeer) {
    makePki({kRegion, "univ-montpellier", "univ-toulouse3"});
    ASSERT_FALSE(HasFailure());
    config::GatewayConfig config;
    config.file = root() / "in-process.ini";
    config.tls.certificate = pki() / "region-occitanie.crt";
    config.tls.privateKey = pki() / "region-occitanie.key";
    config.tls.ca = pki() / "ca.crt";
    config.http.ratePerMinute = 60;
    config.http.burst = 3;

    std::vector<std::string> refusals;
    int echoes = 0;
    transport::RouteTable routes;
    routes[{"GET", "/v1/health"}] = {[](auto&, auto& response, const auto&) {
                                         transport::sendJson(response, Poco::Net::HTTPResponse::HTTP_OK,
                                                             "{}");
                                     },
                                     0, nullptr};
    routes[{"POST", "/v1/echo"}] = {
        [&echoes](auto& request, auto& response, const auto&) {
            ++echoes;
            std::string body;
            Poco::StreamCopier::copyToString(request.stream(), body);
            transport::sendJson(response, Poco::Net::HTTPResponse::HTTP_OK, "\"" + body + "\"");
        },
        16,
        [&refusals](const transport::PeerIdentity& peer, const transport::HttpError& e) {
            refusals.push_back(peer.commonName + " " + e.code());
        }};
    transport::ExchangeServer server(config, std::move(routes));
    server.start();
    const int port = server.port();

    const std::string before = metrics::registry().render();
    const PeerClient montpellier(pki(), "univ-montpellier");
    const PeerClient toulouse(pki(), "univ-toulouse3");
    for (int i = 0; i < 3; ++i) EXPECT_EQ(montpellier.request(port, "GET", "/v1/health").status, 200);
    EXPECT_EQ(montpellier.request(port, "GET", "/v1/health").status, 429);
    EXPECT_EQ(toulouse.request(port, "GET", "/v1/scan-me?id=12345").status, 404);
    EXPECT_EQ(toulouse.request(port, "POST", "/v1/echo", "hello").status, 200);
    EXPECT_EQ(toulouse.request(port, "POST", "/v1/echo", std::string(17, 'x')).status, 413);
    server.stop();
    const std::string after = metrics::registry().render();

    EXPECT_EQ(echoes, 1) << "the handler ran for a body above its route's limit";
    EXPECT_EQ(refusals, std::vector<std::string>{"univ-toulouse3 request_too_large"});
    const auto delta = [&](const std::string& series) {
        return sample(after, series) - sample(before, series);
    };
    EXPECT_EQ(delta(R"(passerelle_http_requests_total{route="/v1/health",status="2xx"})"), 3) << after;
    EXPECT_EQ(delta(R"(passerelle_http_requests_total{route="/v1/health",status="4xx"})"), 1) << after;
    EXPECT_EQ(delta(R"(passerelle_http_requests_total{route="unmatched",status="4xx"})"), 1) << after;
    EXPECT_EQ(delta(R"(passerelle_http_requests_total{route="/v1/echo",status="2xx"})"), 1) << after;
    EXPECT_EQ(delta(R"(passerelle_http_requests_total{route="/v1/echo",status="4xx"})"), 1) << after;
    EXPECT_EQ(delta(R"(passerelle_http_rate_limited_total{peer="univ-montpellier"})"), 1) << after;
    EXPECT_EQ(after.find("scan-me"), std::string::npos) << "a raw URI became a label:\n" << after;
    EXPECT_NE(after.find("# TYPE passerelle_http_requests_total counter"), std::string::npos) << after;
}

}  // namespace
}  // namespace passerelle::integration
