// bench_mtls_load: N mutual-TLS keep-alive clients against an HTTPS listener,
// R requests in all; requests per second, latency percentiles, failures and the
// client's peak memory (issue 13; figures and how to read them: docs/benchmarks.md,
// scripts/bench-tls runs it against passerelle and nginx).
//
//   bench_mtls_load --port P --ca CA --cert CRT --key KEY [--host 127.0.0.1]
//                   [--server-name localhost] [--clients N] [--requests R]
//                   [--path /v1/health] [--idle M] [--idle-from 127.0.0.2]
//
// Each client is a thread with one connection (TCP_NODELAY, TLS through OpenSSL,
// the server's certificate verified against CA for --server-name) made before the
// clock starts; then the clients take request numbers from one counter until R
// are done, each sending `GET PATH HTTP/1.1` and reading the whole answer before
// the next. A latency is from the first byte sent to the last byte of the body.
// A request fails when its answer is not 200 or the connection breaks; the
// client then reconnects (counted) and goes on.
//
//   --idle M  first opens M TCP connections from --idle-from that never start TLS
//            and holds them for the whole run (a listener that gives each
//            connection a thread, or waits for the handshake in one, stalls);
//            reports how many the server had closed by the end.
//
// Prints one line of key=value pairs. Exit status: 0 when every request got its
// 200, 1 when one did not (or on an error), 2 for bad arguments. Nothing here
// asserts a speed.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    std::string host = "127.0.0.1";
    int port = 0;
    std::string ca, cert, key;
    std::string serverName = "localhost";
    int clients = 1;
    long requests = 1000;
    std::string path = "/v1/health";
    int idle = 0;
    std::string idleFrom = "127.0.0.2";
};

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "bench_mtls_load: " << why
              << "\nusage: bench_mtls_load --port P --ca CA --cert CRT --key KEY [--host H] [--server-name NAME]"
                 " [--clients N] [--requests R] [--path PATH] [--idle M] [--idle-from ADDRESS]\n";
    std::exit(2);
}

long wholeNumber(const std::string& flag, const std::string& text, long min) {
    long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min) {
        usage(flag + " needs a whole number of at least " + std::to_string(min));
    }
    return value;
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) usage(flag + " needs a value");
        const std::string value = argv[++i];
        if (flag == "--host") o.host = value;
        else if (flag == "--port") o.port = static_cast<int>(wholeNumber(flag, value, 1));
        else if (flag == "--ca") o.ca = value;
        else if (flag == "--cert") o.cert = value;
        else if (flag == "--key") o.key = value;
        else if (flag == "--server-name") o.serverName = value;
        else if (flag == "--clients") o.clients = static_cast<int>(wholeNumber(flag, value, 1));
        else if (flag == "--requests") o.requests = wholeNumber(flag, value, 1);
        else if (flag == "--path") o.path = value;
        else if (flag == "--idle") o.idle = static_cast<int>(wholeNumber(flag, value, 0));
        else if (flag == "--idle-from") o.idleFrom = value;
        else usage("unknown argument " + flag);
    }
    if (o.port == 0 || o.ca.empty() || o.cert.empty() || o.key.empty()) usage("--port, --ca, --cert and --key are needed");
    return o;
}

std::string sslError() {
    const unsigned long code = ERR_get_error();
    if (code == 0) return "no OpenSSL error";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

// A TCP connection to host:port, from `from` when given; -1 on failure.
int tcpConnect(const std::string& host, int port, const std::string& from = {}) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(static_cast<std::uint16_t>(port));
    bool ok = ::inet_pton(AF_INET, host.c_str(), &remote.sin_addr) == 1;
    if (ok && !from.empty()) {
        sockaddr_in local{};
        local.sin_family = AF_INET;
        ok = ::inet_pton(AF_INET, from.c_str(), &local.sin_addr) == 1 &&
             ::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) == 0;
    }
    ok = ok && ::connect(fd, reinterpret_cast<const sockaddr*>(&remote), sizeof remote) == 0;
    const int one = 1;
    ok = ok && ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
    if (!ok) {
        ::close(fd);
        return -1;
    }
    return fd;
}

struct SslCtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
};

std::unique_ptr<SSL_CTX, SslCtxFree> clientContext(const Options& o) {
    std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx || SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1 ||
        SSL_CTX_load_verify_locations(ctx.get(), o.ca.c_str(), nullptr) != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx.get(), o.cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx.get(), o.key.c_str(), SSL_FILETYPE_PEM) != 1) {
        throw std::runtime_error("cannot set up TLS with " + o.cert + ", " + o.key + " and " + o.ca + ": " +
                                 sslError());
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    // One connection per client for the whole run: resumption would measure nothing.
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
    return ctx;
}

// One keep-alive connection: handshake done, then request after request.
class Connection {
public:
    Connection(SSL_CTX* ctx, const Options& o) : fd_(tcpConnect(o.host, o.port)) {
        if (fd_ < 0) throw std::runtime_error("cannot connect to " + o.host + ":" + std::to_string(o.port));
        ssl_.reset(SSL_new(ctx));
        SSL_set_fd(ssl_.get(), fd_);
        SSL_set_tlsext_host_name(ssl_.get(), o.serverName.c_str());
        SSL_set1_host(ssl_.get(), o.serverName.c_str());
        if (SSL_connect(ssl_.get()) != 1) throw std::runtime_error("TLS handshake failed: " + sslError());
    }
    ~Connection() {
        SSL_shutdown(ssl_.get());
        ssl_.reset();
        ::close(fd_);
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // The answer's status, or nullopt when the connection broke. closed: the
    // server said Connection: close (the next request needs a new connection).
    std::optional<int> get(const std::string& request, bool& closed) {
        closed = false;
        for (std::size_t sent = 0; sent < request.size();) {
            const int n = SSL_write(ssl_.get(), request.data() + sent, static_cast<int>(request.size() - sent));
            if (n <= 0) return std::nullopt;
            sent += static_cast<std::size_t>(n);
        }
        std::size_t headEnd;
        while ((headEnd = buffer_.find("\r\n\r\n")) == std::string::npos) {
            if (!fill()) return std::nullopt;
        }
        const std::string_view head(buffer_.data(), headEnd + 4);
        int status = 0;
        if (head.size() < 12 || !head.starts_with("HTTP/1.1 ") ||
            std::from_chars(head.data() + 9, head.data() + 12, status).ec != std::errc()) {
            return std::nullopt;
        }
        const std::size_t length = contentLength(head);
        closed = contains(head, "connection: close");
        while (buffer_.size() < headEnd + 4 + length) {
            if (!fill()) return std::nullopt;
        }
        buffer_.erase(0, headEnd + 4 + length);
        return status;
    }

private:
    bool fill() {
        char chunk[16384];
        const int n = SSL_read(ssl_.get(), chunk, sizeof chunk);
        if (n <= 0) return false;
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    static std::string lower(std::string_view text) {
        std::string out(text);
        for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return out;
    }
    static bool contains(std::string_view head, std::string_view what) {
        return lower(head).find(what) != std::string::npos;
    }
    static std::size_t contentLength(std::string_view head) {
        const std::string text = lower(head);
        const auto at = text.find("\r\ncontent-length:");
        if (at == std::string::npos) return 0;
        std::size_t i = at + 17;
        while (i < text.size() && text[i] == ' ') ++i;
        std::size_t value = 0;
        std::from_chars(text.data() + i, text.data() + text.size(), value);
        return value;
    }

    int fd_;
    std::unique_ptr<SSL, SslFree> ssl_;
    std::string buffer_;
};

struct ClientResult {
    std::vector<std::uint32_t> latenciesMicros;
    long failures = 0;
    long reconnects = 0;
    std::string firstError;
};

double percentile(const std::vector<std::uint32_t>& sorted, double p) {
    if (sorted.empty()) return 0;
    const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(rank, sorted.size() - 1)] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    try {
        rlimit limit{};
        if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
            limit.rlim_cur = limit.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &limit);
        }
        auto ctx = clientContext(o);
        const std::string request = "GET " + o.path + " HTTP/1.1\r\nHost: " + o.serverName + "\r\n\r\n";

        std::vector<int> idle;
        for (int i = 0; i < o.idle; ++i) {
            const int fd = tcpConnect(o.host, o.port, o.idleFrom);
            if (fd < 0) throw std::runtime_error("cannot open idle connection " + std::to_string(i) + " from " + o.idleFrom);
            idle.push_back(fd);
        }

        std::atomic<long> next{0};
        // Every connection is made before the clock starts; waiting clients sleep, so
        // that making the last ones does not compete with the first ones' spinning.
        std::latch ready(o.clients);
        std::latch go(1);
        std::vector<ClientResult> results(static_cast<std::size_t>(o.clients));
        std::vector<std::thread> threads;
        std::mutex setupMutex;
        std::string setupError;
        for (int c = 0; c < o.clients; ++c) {
            threads.emplace_back([&, c] {
                ClientResult& r = results[static_cast<std::size_t>(c)];
                r.latenciesMicros.reserve(static_cast<std::size_t>(o.requests / o.clients + 1));
                std::unique_ptr<Connection> connection;
                try {
                    connection = std::make_unique<Connection>(ctx.get(), o);
                } catch (const std::exception& e) {
                    std::lock_guard lock(setupMutex);
                    if (setupError.empty()) setupError = e.what();
                }
                ready.count_down();
                go.wait();
                while (next.fetch_add(1) < o.requests) {
                    try {
                        if (!connection) {
                            connection = std::make_unique<Connection>(ctx.get(), o);
                            ++r.reconnects;
                        }
                        bool closed = false;
                        const auto started = Clock::now();
                        const auto status = connection->get(request, closed);
                        const auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
                        if (status == 200) {
                            r.latenciesMicros.push_back(static_cast<std::uint32_t>(took.count()));
                        } else {
                            ++r.failures;
                            if (r.firstError.empty()) {
                                r.firstError = status ? "HTTP " + std::to_string(*status) : "connection broken";
                            }
                        }
                        if (!status || closed) connection.reset();
                    } catch (const std::exception& e) {
                        ++r.failures;
                        if (r.firstError.empty()) r.firstError = e.what();
                        connection.reset();
                    }
                }
            });
        }
        ready.wait();
        const auto started = Clock::now();
        go.count_down();
        for (auto& t : threads) t.join();
        const double seconds = std::chrono::duration<double>(Clock::now() - started).count();

        int idleClosed = 0;
        for (const int fd : idle) {
            pollfd watched{fd, POLLIN, 0};
            char byte;
            if (::poll(&watched, 1, 0) > 0 && ::recv(fd, &byte, 1, MSG_PEEK) <= 0) ++idleClosed;
            ::close(fd);
        }

        std::vector<std::uint32_t> all;
        long failures = 0, reconnects = 0;
        std::string firstError = setupError;
        for (const auto& r : results) {
            all.insert(all.end(), r.latenciesMicros.begin(), r.latenciesMicros.end());
            failures += r.failures;
            reconnects += r.reconnects;
            if (firstError.empty()) firstError = r.firstError;
        }
        std::sort(all.begin(), all.end());
        rusage usage{};
        ::getrusage(RUSAGE_SELF, &usage);
        char line[512];
        std::snprintf(line, sizeof line,
                      "clients=%d requests=%ld ok=%zu failures=%ld reconnects=%ld seconds=%.3f rps=%.0f "
                      "p50_ms=%.2f p99_ms=%.2f max_ms=%.2f client_peak_rss_mib=%.1f idle=%d idle_closed=%d",
                      o.clients, o.requests, all.size(), failures, reconnects, seconds,
                      static_cast<double>(all.size()) / seconds, percentile(all, 50), percentile(all, 99),
                      all.empty() ? 0.0 : all.back() / 1000.0, static_cast<double>(usage.ru_maxrss) / 1024.0,
                      o.idle, idleClosed);
        std::cout << line << std::endl;
        if (!firstError.empty()) std::cerr << "bench_mtls_load: first failure: " << firstError << "\n";
        return failures == 0 && static_cast<long>(all.size()) == o.requests ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "bench_mtls_load: " << e.what() << "\n";
        return 1;
    }
}
