// How the exchange listener holds its connections (connection_engine.h), seen
// from clients on 127.0.0.1 and 127.0.0.2 (all of 127/8 is loopback on Linux):
// idle TCP connections that never start TLS do not lock a real peer out and
// are closed at the handshake deadline; one address cannot hold more than its
// share; many keep-alive clients are all served without waiting for another's
// idle timeout; and a request framed by Transfer-Encoding is refused, its
// connection closed. In-process listeners, so that each test sets [http] and
// reads the metrics. Last, the smoke test of tests/bench/bench_mtls_load.

#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <latch>
#include <thread>

#include "../support/exchange_fixture.h"
#include "metrics/registry.h"
#include "peer_client.h"
#include "transport/exchange_server.h"

namespace passerelle::integration {
namespace {

using Clock = std::chrono::steady_clock;
using Status = Poco::Net::HTTPResponse::HTTPStatus;

double sample(const std::string& series) {
    std::istringstream in(metrics::registry().render());
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
    }
    return 0;
}

const std::string kHandshaking = R"(passerelle_exchange_connections{state="handshake"})";
const std::string kHandshakeTimeouts = R"(passerelle_exchange_connections_closed_total{reason="handshake_timeout"})";
const std::string kAddressCapRefusals = R"(passerelle_exchange_connections_refused_total{reason="address_cap"})";

// TCP connections that never say a word, closed when the test ends.
class SilentConnections {
public:
    ~SilentConnections() {
        for (const int fd : fds_) ::close(fd);
    }
    // One more from `from` (a loopback address) to 127.0.0.1:port; false if it could not be made.
    bool open(const char* from, int port) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return false;
        sockaddr_in local{};
        local.sin_family = AF_INET;
        ::inet_pton(AF_INET, from, &local.sin_addr);
        sockaddr_in remote{};
        remote.sin_family = AF_INET;
        remote.sin_port = htons(static_cast<std::uint16_t>(port));
        ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0 ||
            ::connect(fd, reinterpret_cast<const sockaddr*>(&remote), sizeof remote) != 0) {
            ::close(fd);
            return false;
        }
        fds_.push_back(fd);
        return true;
    }
    // Whether the server has closed the i-th (end of stream or reset) before `deadline`.
    bool closedBy(std::size_t i, Clock::time_point deadline) const {
        pollfd watched{fds_.at(i), POLLIN, 0};
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (::poll(&watched, 1, static_cast<int>(std::max<std::int64_t>(0, left.count()))) > 0) {
                char byte[256];
                if (::recv(watched.fd, byte, sizeof byte, 0) <= 0) return true;
            } else if (Clock::now() >= deadline) {
                return false;
            }
        }
    }
    std::size_t size() const { return fds_.size(); }

private:
    std::vector<int> fds_;
};

class ConnectionLimitsTest : public ExchangeTest {
protected:
    void SetUp() override {
        ExchangeTest::SetUp();
        makePki({kRegion, "univ-montpellier"});
        // 500 client sockets and the server's 500 in one process.
        rlimit limit{};
        ::getrlimit(RLIMIT_NOFILE, &limit);
        if (limit.rlim_cur < 4096) {
            limit.rlim_cur = std::min<rlim_t>(4096, limit.rlim_max);
            ::setrlimit(RLIMIT_NOFILE, &limit);
        }
    }

    // The listener with `http` as its [http] settings; GET /v1/health, POST /v1/echo (16 bytes at most).
    void startListener(const config::HttpSettings& http) {
        config::GatewayConfig config;
        config.file = root() / "in-process.ini";
        config.tls.certificate = pki() / "region-occitanie.crt";
        config.tls.privateKey = pki() / "region-occitanie.key";
        config.tls.ca = pki() / "ca.crt";
        config.http = http;
        transport::RouteTable routes;
        routes[{"GET", "/v1/health"}] = {[](auto&, auto& response, const auto&) {
                                             transport::sendJson(response, Status::HTTP_OK, R"({"status":"ok"})");
                                         },
                                         0, nullptr};
        routes[{"POST", "/v1/echo"}] = {[this](auto& request, auto& response, const auto&) {
                                            ++echoes_;
                                            std::string body;
                                            Poco::StreamCopier::copyToString(request.stream(), body);
                                            transport::sendJson(response, Status::HTTP_OK, "\"" + body + "\"");
                                        },
                                        16,
                                        [this](const transport::PeerIdentity& peer, const transport::HttpError& e) {
                                            std::lock_guard lock(mutex_);
                                            refusals_.push_back(peer.commonName + " " + e.code());
                                        }};
        server_ = std::make_unique<transport::ExchangeServer>(config, std::move(routes));
        server_->start();
    }

    int port() const { return server_->port(); }

    void TearDown() override {
        if (server_) server_->stop();
        ExchangeTest::TearDown();
    }

    std::unique_ptr<transport::ExchangeServer> server_;
    std::atomic<int> echoes_{0};
    std::mutex mutex_;
    std::vector<std::string> refusals_;
};

// GET /v1/health `count` times on one keep-alive connection; how many were 200.
// The connection stays open until every client is done (`allDone`), as a
// client library's pool keeps it.
int healthOnOneConnection(const PeerClient& peer, int port, int count, std::latch& allDone) {
    int ok = 0;
    bool arrived = false;
    try {
        auto socket = peer.connect(port);
        const std::string request = "GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
        std::string received;
        char buffer[4096];
        for (int i = 0; i < count; ++i) {
            socket.sendBytes(request.data(), static_cast<int>(request.size()));
            // One response: its head, then Content-Length bytes of body.
            std::size_t end = std::string::npos;
            std::size_t length = 0;
            for (;;) {
                if (end == std::string::npos && (end = received.find("\r\n\r\n")) != std::string::npos) {
                    const auto response = parseRawResponse(received.substr(0, end + 4));
                    length = std::stoul(response.header("content-length").empty() ? "0"
                                                                                  : response.header("content-length"));
                    if (response.status == 200) ++ok;
                }
                if (end != std::string::npos && received.size() >= end + 4 + length) break;
                const int n = socket.receiveBytes(buffer, sizeof buffer);
                if (n <= 0) return ok;
                received.append(buffer, static_cast<std::size_t>(n));
            }
            received.erase(0, end + 4 + length);
        }
        arrived = true;
        allDone.arrive_and_wait();
    } catch (const Poco::Exception&) {
        // Counted as the requests that did not get their 200.
    }
    if (!arrived) allDone.count_down();
    return ok;
}

TEST_F(ConnectionLimitsTest, FiveHundredIdleTcpConnectionsDoNotLockOutAPeerAndGoAtTheHandshakeDeadline) {
    config::HttpSettings http;
    http.handshakeSeconds = 2;
    http.maxConnectionsPerAddress = 1000;  // all 500 are held: the cap is the next test's
    startListener(http);
    const double timeoutsBefore = sample(kHandshakeTimeouts);

    SilentConnections silent;
    for (int i = 0; i < 500; ++i) ASSERT_TRUE(silent.open("127.0.0.2", port())) << "connection " << i;
    // Held by the listener, not waiting in the kernel's backlog.
    ASSERT_TRUE(waitUntil([&] { return sample(kHandshaking) >= 500; }, 5s))
        << "the listener holds " << sample(kHandshaking) << " unfinished handshakes";

    const PeerClient montpellier(pki(), "univ-montpellier");
    const auto started = Clock::now();
    const auto health = montpellier.request(port(), "GET", "/v1/health");
    const auto took = Clock::now() - started;
    EXPECT_EQ(health.status, 200) << health;
    EXPECT_LT(took, 2s) << "a peer waited " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                        << " ms behind 500 silent connections";

    const auto deadline = Clock::now() + 2s + 5s;
    std::size_t stillOpen = 0;
    for (std::size_t i = 0; i < silent.size(); ++i) {
        if (!silent.closedBy(i, deadline)) ++stillOpen;
    }
    EXPECT_EQ(stillOpen, 0u) << "silent connections still open well after handshake_seconds = 2";
    EXPECT_GE(sample(kHandshakeTimeouts) - timeoutsBefore, 500);
    EXPECT_EQ(montpellier.request(port(), "GET", "/v1/health").status, 200);
}

TEST_F(ConnectionLimitsTest, AnAddressOverItsCapIsClosedAtOnceWhileAnotherAddressIsServed) {
    config::HttpSettings http;
    http.handshakeSeconds = 60;  // the held ones stay: only the cap can close the fifth
    http.maxConnectionsPerAddress = 4;
    startListener(http);
    const double handshakingBefore = sample(kHandshaking);
    const double refusedBefore = sample(kAddressCapRefusals);

    SilentConnections held;
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(held.open("127.0.0.2", port()));
    ASSERT_TRUE(waitUntil([&] { return sample(kHandshaking) - handshakingBefore >= 4; }, 5s));

    SilentConnections over;
    ASSERT_TRUE(over.open("127.0.0.2", port()));
    EXPECT_TRUE(over.closedBy(0, Clock::now() + 2s)) << "a fifth connection from one address was kept";
    EXPECT_EQ(sample(kAddressCapRefusals) - refusedBefore, 1);

    const PeerClient montpellier(pki(), "univ-montpellier");
    const auto health = montpellier.request(port(), "GET", "/v1/health");
    EXPECT_EQ(health.status, 200) << health;
    for (std::size_t i = 0; i < held.size(); ++i) {
        EXPECT_FALSE(held.closedBy(i, Clock::now())) << "connection " << i << " under the cap was closed";
    }
}

TEST_F(ConnectionLimitsTest, SixtyFourKeepAliveClientsAreAllServedWithoutWaitingForAnothersIdleTimeout) {
    // The thread-per-connection listener this replaced served 16 kept-alive connections
    // and left the others queued until one of them went idle for timeout_seconds (60):
    // here the first 16 clients keep theirs open until all 64 are done, so that
    // listener would take a minute.
    config::HttpSettings http;
    http.ratePerMinute = 0;
    startListener(http);
    const PeerClient montpellier(pki(), "univ-montpellier");
    constexpr int kClients = 64;
    constexpr int kEach = 16;

    std::atomic<int> served{0};
    std::latch allDone(kClients);
    const auto started = Clock::now();
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.emplace_back([&] { served += healthOnOneConnection(montpellier, port(), kEach, allDone); });
    }
    for (auto& client : clients) client.join();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);

    EXPECT_EQ(served.load(), kClients * kEach);
    EXPECT_LT(took, 10s) << kClients * kEach << " requests took " << took.count() << " ms";
}

// Sends the bytes on a new connection; the answer, and whether the server then
// closed the connection (rather than keeping it for another request).
struct Exchange {
    std::string bytes;
    bool closed = false;
};
Exchange sendAndWatch(const PeerClient& peer, int port, const std::string& request) {
    Exchange out;
    auto socket = peer.connect(port);
    socket.setReceiveTimeout(Poco::Timespan(5, 0));
    socket.sendBytes(request.data(), static_cast<int>(request.size()));
    char buffer[4096];
    try {
        for (int n; (n = socket.receiveBytes(buffer, sizeof buffer)) > 0;) out.bytes.append(buffer, n);
        out.closed = true;
    } catch (const Poco::TimeoutException&) {
        out.closed = false;
    } catch (const Poco::Exception&) {
        out.closed = true;  // reset
    }
    return out;
}

TEST_F(ConnectionLimitsTest, TransferEncodingIsRefusedAndWithAContentLengthTooAndTheConnectionClosed) {
    startListener(config::HttpSettings{});
    const PeerClient montpellier(pki(), "univ-montpellier");
    const std::string keepAlive = "Host: localhost\r\nConnection: keep-alive\r\n";
    const auto errorOf = [this](const RawResponse& r) { return parseJson(r.body)->optValue<std::string>("error", ""); };

    // Chunked alone: not supported here (the body's size could not be checked first).
    const auto chunked = sendAndWatch(montpellier, port(),
                                      "POST /v1/echo HTTP/1.1\r\n" + keepAlive +
                                          "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    const auto chunkedAnswer = parseRawResponse(chunked.bytes);
    EXPECT_EQ(chunkedAnswer.status, 501) << chunkedAnswer;
    EXPECT_EQ(errorOf(chunkedAnswer), "transfer_encoding_not_supported") << chunkedAnswer;
    EXPECT_NE(parseJson(chunkedAnswer.body)->optValue<std::string>("message", "").find("Transfer-Encoding"),
              std::string::npos)
        << chunkedAnswer;
    EXPECT_TRUE(chunked.closed) << "the connection was kept after a refused Transfer-Encoding";

    // Any other coding, even on a GET.
    const auto gzip = sendAndWatch(montpellier, port(),
                                   "GET /v1/health HTTP/1.1\r\n" + keepAlive + "Transfer-Encoding: gzip\r\n\r\n");
    const auto gzipAnswer = parseRawResponse(gzip.bytes);
    EXPECT_EQ(gzipAnswer.status, 501) << gzipAnswer;
    EXPECT_TRUE(gzip.closed);

    // Both framings: the shape of request smuggling. Read as chunked, the body is
    // empty and a second request follows; read by its length, it is the body. Refused
    // either way, and the "second request" is never answered.
    const std::string smuggled = "GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
    const std::string body = "0\r\n\r\n" + smuggled;
    const auto both = sendAndWatch(montpellier, port(),
                                   "POST /v1/echo HTTP/1.1\r\n" + keepAlive +
                                       "Content-Length: " + std::to_string(body.size()) +
                                       "\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
    const auto bothAnswer = parseRawResponse(both.bytes);
    EXPECT_EQ(bothAnswer.status, 400) << bothAnswer;
    EXPECT_EQ(errorOf(bothAnswer), "ambiguous_length") << bothAnswer;
    EXPECT_EQ(bothAnswer.body.find("HTTP/1.1"), std::string::npos) << "a second response followed:\n" << both.bytes;
    EXPECT_TRUE(both.closed);

    EXPECT_EQ(echoes_.load(), 0) << "the handler ran for a refused request";
    std::lock_guard lock(mutex_);
    EXPECT_EQ(refusals_, (std::vector<std::string>{"univ-montpellier transfer_encoding_not_supported",
                                                   "univ-montpellier ambiguous_length"}))
        << "the route's observer is told of each refusal on its route";
    // The listener still serves.
    EXPECT_EQ(montpellier.request(port(), "GET", "/v1/health").status, 200);
}

// tests/bench/bench_mtls_load (docs/benchmarks.md), for correctness only: it counts
// every request, reports no failure against a real listener, and does report
// failures when there are some. Never a speed.
TEST_F(ConnectionLimitsTest, TheLoadGeneratorCountsEveryRequestAndEveryFailure) {
    config::HttpSettings http;
    http.ratePerMinute = 0;
    startListener(http);
    const auto run = [&](const std::string& path, const std::string& label) {
        return runCommand({(fs::path(PASSERELLE_BINARY_DIR) / "bin" / "bench_mtls_load").string(), "--port",
                           std::to_string(port()), "--ca", (pki() / "ca.crt").string(), "--cert",
                           (pki() / "univ-montpellier.crt").string(), "--key",
                           (pki() / "univ-montpellier.key").string(), "--clients", "4", "--requests", "300",
                           "--path", path, "--idle", "5"},
                          logs() / label, 60s);
    };
    const auto served = run("/v1/health", "bench-health");
    EXPECT_EQ(served.exitCode, 0) << served;
    EXPECT_NE(served.out.find("requests=300 ok=300 failures=0 "), std::string::npos) << served;
    EXPECT_NE(served.out.find("idle=5 "), std::string::npos) << served;

    const auto refused = run("/v1/not-served", "bench-not-served");
    EXPECT_EQ(refused.exitCode, 1) << refused;
    EXPECT_NE(refused.out.find("requests=300 ok=0 failures=300 "), std::string::npos) << refused;
}

// The listener's [http] keys are read with the rest of the configuration, and a
// value out of range is refused naming its key.
class ConnectionSettingsTest : public ExchangeTest {
protected:
    std::string loadError(const std::string& http) {
        if (!fs::exists(pki() / "ca.crt")) makePki({kRegion});
        writeRegionConfig({});
        writeFile(regionConfig(), readFile(regionConfig()) + "[http]\n" + http);
        try {
            loaded_ = config::GatewayConfig::load(regionConfig());
        } catch (const ConfigError& e) {
            return e.what();
        }
        return {};
    }
    config::GatewayConfig loaded_;
};

TEST_F(ConnectionSettingsTest, TheKeysAreReadAndAValueOutOfRangeNamesItsKey) {
    ASSERT_EQ(loadError("handshake_seconds = 5\nworkers = 4\nmax_connections = 64\n"
                        "max_connections_per_address = 8\n"),
              "");
    EXPECT_EQ(loaded_.http.handshakeSeconds, 5u);
    EXPECT_EQ(loaded_.http.workers, 4u);
    EXPECT_EQ(loaded_.http.maxConnections, 64u);
    EXPECT_EQ(loaded_.http.maxConnectionsPerAddress, 8u);
    for (const auto& [http, key] : std::vector<std::pair<std::string, std::string>>{
             {"workers = 0\n", "http.workers"},
             {"handshake_seconds = 0\n", "http.handshake_seconds"},
             {"max_connections = 8\n", "http.max_connections"},
             {"max_connections = 64\nmax_connections_per_address = 65\n", "http.max_connections_per_address"}}) {
        const std::string error = loadError(http);
        EXPECT_NE(error.find(key), std::string::npos) << http << " -> " << error;
    }
}

}  // namespace
}  // namespace passerelle::integration
