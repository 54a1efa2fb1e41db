#include "transport/connection_engine.h"

#include <Poco/ErrorHandler.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Timestamp.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <openssl/err.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "metrics/registry.h"
#include "transport/http_error.h"

namespace passerelle::transport {

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Wait = asio::posix::descriptor_base::wait_type;

Poco::Logger& log() { return Poco::Logger::get("passerelle.exchange"); }

// HTTPServerSession reads ahead into a buffer of its own; the reactor must
// know of those bytes, or a pipelined request would wait for bytes that
// already arrived.
class ServerSession final : public Poco::Net::HTTPServerSession {
public:
    using HTTPServerSession::HTTPServerSession;
    bool hasBuffered() const { return buffered() > 0; }
};

// Where a connection is, as the reactor sees it. Working: queued for a worker,
// being served, or on its way back; the reactor does not touch its socket then.
enum class Phase { Handshake, Idle, Working, Closed };

struct Connection {
    Connection(asio::io_context& io, Poco::Net::SecureStreamSocket s, std::string from)
        : socket(std::move(s)), address(std::move(from)), timer(io) {}

    Poco::Net::SecureStreamSocket socket;
    std::string address;  // the peer's IP address, for the per-address cap
    Phase phase = Phase::Handshake;
    Clock::time_point since = Clock::now();  // when it entered its phase
    std::uint64_t turn = 0;                  // bumped at each phase change: late wake-ups are ignored
    // Only while it waits in the reactor; released, never closed (Poco owns the descriptor).
    std::optional<asio::posix::stream_descriptor> watch;
    asio::steady_timer timer;                // handshake deadline, then idle timeout
    std::unique_ptr<ServerSession> session;  // from its first request on
};
using ConnectionPtr = std::shared_ptr<Connection>;

// Each connection is a descriptor: a soft limit of 1,024 (a common default)
// would refuse connections long before http.max_connections.
void raiseDescriptorLimit(std::size_t maxConnections) {
    const rlim_t wanted = static_cast<rlim_t>(maxConnections) + 256;
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < wanted) {
        log().warning("the process may open %s descriptors, fewer than http.max_connections (%s) needs: raise "
                      "its limit (LimitNOFILE= in a systemd unit) or lower http.max_connections",
                      std::to_string(limit.rlim_cur), std::to_string(maxConnections));
    }
}

// Logs the 1st, 1,001st... occurrence: a flood of refusals must not flood the log.
bool sampled(std::uint64_t& count) { return count++ % 1000 == 0; }

}  // namespace

struct ConnectionEngine::State {
    State(Poco::Net::SecureServerSocket socket, ConnectionLimits l, Poco::Net::HTTPServerParams::Ptr p,
          RequestServer s)
        : listener(std::move(socket)),
          limits(l),
          params(std::move(p)),
          serve(std::move(s)),
          listenerTimer(io),
          phases(metrics::registry().gauge(
              "passerelle_exchange_connections",
              "Open connections of the exchange listener, by state: handshake, idle (keep-alive, no "
              "thread), queued (ready, waiting for a worker), serving (a worker answers a request)",
              {"state"})),
          refused(metrics::registry().counter(
              "passerelle_exchange_connections_refused_total",
              "Exchange connections closed as soon as accepted, by reason: address_cap "
              "(http.max_connections_per_address), connection_cap (http.max_connections)",
              {"reason"})),
          closed(metrics::registry().counter(
              "passerelle_exchange_connections_closed_total",
              "Exchange connections closed by the listener, by reason: handshake_timeout "
              "(http.handshake_seconds), handshake_failed, idle_timeout (http.timeout_seconds), shed "
              "(the oldest idle or handshaking connection, closed to make room under http.max_connections)",
              {"reason"})),
          handshaking(phases.labels({"handshake"})),
          idle(phases.labels({"idle"})),
          queued(phases.labels({"queued"})),
          serving(phases.labels({"serving"})),
          boundPort(listener.address().port()) {}

    // --- the reactor thread ---------------------------------------------------------------

    void waitForListener() {
        listenerWatch.emplace(io, listener.impl()->sockfd());
        listenerWatch->async_wait(Wait::wait_read, [this](const boost::system::error_code& ec) {
            unwatchListener();
            if (ec || stopping) return;
            acceptPending();
        });
    }

    void unwatchListener() {
        if (listenerWatch) {
            listenerWatch->release();
            listenerWatch.reset();
        }
    }

    void acceptPending() {
        // Bounded, so that handshakes and idle connections get their turn under a flood;
        // a fresh watch sees the connections still pending.
        for (int i = 0; i < 128 && !stopping; ++i) {
            Poco::Net::SocketAddress from;
            Poco::Net::StreamSocket accepted;
            try {
                if (!listener.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ)) break;
                accepted = listener.acceptConnection(from);
            } catch (const Poco::Exception& e) {
                // Out of descriptors, most likely: try again a little later rather than spin.
                if (sampled(acceptFailures)) log().error("cannot accept a connection: %s", e.displayText());
                listenerTimer.expires_after(std::chrono::milliseconds(100));
                listenerTimer.async_wait([this](const boost::system::error_code& ec) {
                    if (!ec && !stopping) acceptPending();
                });
                return;
            }
            admit(Poco::Net::SecureStreamSocket(accepted), from.host().toString());
        }
        waitForListener();
    }

    void admit(Poco::Net::SecureStreamSocket socket, const std::string& address) {
        // find, not []: a refused address must leave no entry behind.
        if (const auto it = perAddress.find(address);
            it != perAddress.end() && it->second >= limits.maxConnectionsPerAddress) {
            refuse(socket, "address_cap", address);
            return;
        }
        if (open.size() >= limits.maxConnections && !makeRoom()) {
            refuse(socket, "connection_cap", address);
            return;
        }
        try {
            socket.setBlocking(false);
            socket.setNoDelay(true);
        } catch (const Poco::Exception& e) {
            log().warning("cannot set up a connection from %s: %s", address, e.displayText());
            closeSocket(socket);
            return;
        }
        auto c = std::make_shared<Connection>(io, std::move(socket), address);
        open.emplace(c.get(), c);
        ++perAddress[address];
        handshaking.add(1);
        c->timer.expires_after(limits.handshakeDeadline);
        c->timer.async_wait([this, c, turn = c->turn](const boost::system::error_code& ec) {
            if (ec || c->phase != Phase::Handshake || c->turn != turn) return;
            close(c, "handshake_timeout");
        });
        handshake(c);
    }

    void refuse(Poco::Net::SecureStreamSocket& socket, const char* reason, const std::string& address) {
        refused.labels({reason}).inc();
        if (sampled(refusals[reason])) {
            log().warning("refused a connection from %s (%s): passerelle_exchange_connections_refused_total counts them",
                          address, std::string(reason));
        }
        closeSocket(socket);
    }

    // Under max_connections: the oldest idle keep-alive connection goes first (its peer
    // reconnects when it needs to), then the oldest unfinished handshake.
    bool makeRoom() {
        ConnectionPtr victim;
        for (const Phase phase : {Phase::Idle, Phase::Handshake}) {
            for (const auto& [raw, c] : open) {
                if (c->phase == phase && (!victim || c->since < victim->since)) victim = c;
            }
            if (victim) break;
        }
        if (!victim) return false;
        close(victim, "shed");
        return true;
    }

    void handshake(const ConnectionPtr& c) {
        int rc = 0;
        try {
            ERR_clear_error();  // Poco reads the thread's error queue to explain a failure
            rc = c->socket.completeHandshake();
        } catch (const Poco::TimeoutException&) {
            rc = Poco::Net::SecureStreamSocket::ERR_SSL_WANT_READ;  // see the header: Poco 1.11's retry
        } catch (const Poco::Exception& e) {
            // The handler tls_context installed logs it and reports a refused certificate.
            Poco::ErrorHandler::handle(e);
            close(c, "handshake_failed");
            return;
        }
        if (rc == 1) {
            c->timer.cancel();
            becomeIdleOrReady(c);
        } else if (rc == Poco::Net::SecureStreamSocket::ERR_SSL_WANT_READ) {
            waitFor(c, Wait::wait_read, [this](const ConnectionPtr& ready) { handshake(ready); });
        } else if (rc == Poco::Net::SecureStreamSocket::ERR_SSL_WANT_WRITE) {
            waitFor(c, Wait::wait_write, [this](const ConnectionPtr& ready) { handshake(ready); });
        } else {
            close(c, "handshake_failed");  // the peer closed during the handshake
        }
    }

    template <class Then>
    void waitFor(const ConnectionPtr& c, Wait wait, Then then) {
        // A fresh registration each time: epoll reports a descriptor that is already
        // readable when it is added, so bytes that came before the wait are not missed.
        c->watch.emplace(io, c->socket.impl()->sockfd());
        c->watch->async_wait(wait, [this, c, turn = c->turn, then](const boost::system::error_code& ec) {
            if (c->phase == Phase::Closed || c->turn != turn) return;
            unwatch(*c);
            if (ec) {
                close(c, nullptr);
                return;
            }
            then(c);
        });
    }

    static void unwatch(Connection& c) {
        if (c.watch) {
            c.watch->release();
            c.watch.reset();
        }
    }

    static bool hasBufferedBytes(Connection& c) {
        try {
            return (c.session && c.session->hasBuffered()) || c.socket.available() > 0;
        } catch (const Poco::Exception&) {
            return true;  // let a worker find out what is wrong with it
        }
    }

    void becomeIdleOrReady(const ConnectionPtr& c) {
        if (hasBufferedBytes(*c)) {
            toWorkers(c);
            return;
        }
        enter(*c, Phase::Idle);
        c->timer.expires_after(limits.timeout);
        c->timer.async_wait([this, c, turn = c->turn](const boost::system::error_code& ec) {
            if (ec || c->phase != Phase::Idle || c->turn != turn) return;
            close(c, "idle_timeout");
        });
        waitFor(c, Wait::wait_read, [this](const ConnectionPtr& ready) { toWorkers(ready); });
    }

    void toWorkers(const ConnectionPtr& c) {
        c->timer.cancel();
        enter(*c, Phase::Working);
        queued.add(1);
        {
            std::lock_guard lock(mutex);
            ready.push_back(c);
        }
        wake.notify_one();
    }

    // A worker answered one request (keepAlive: the connection may carry another).
    void afterServe(const ConnectionPtr& c, bool keepAlive) {
        if (c->phase == Phase::Closed) return;
        if (!keepAlive || stopping) {
            close(c, nullptr);
            return;
        }
        becomeIdleOrReady(c);
    }

    void enter(Connection& c, Phase phase) {
        gaugeOf(c.phase, -1);
        gaugeOf(phase, 1);
        c.phase = phase;
        c.since = Clock::now();
        ++c.turn;
    }

    void gaugeOf(Phase phase, double delta) {
        if (phase == Phase::Handshake) handshaking.add(delta);
        if (phase == Phase::Idle) idle.add(delta);
        // Working is counted by the workers (queued, serving).
    }

    void close(const ConnectionPtr& c, const char* reason) {
        if (c->phase == Phase::Closed) return;
        if (reason) closed.labels({reason}).inc();
        unwatch(*c);
        c->timer.cancel();
        gaugeOf(c->phase, -1);
        c->phase = Phase::Closed;
        ++c->turn;
        c->session.reset();
        closeSocket(c->socket);
        open.erase(c.get());
        if (const auto it = perAddress.find(c->address); it != perAddress.end() && --it->second == 0) {
            perAddress.erase(it);
        }
    }

    static void closeSocket(Poco::Net::Socket& socket) {
        try {
            socket.close();
        } catch (const Poco::Exception&) {
            // Closing anyway: nothing is left to tell the peer.
        }
    }

    // --- the workers ------------------------------------------------------------------------

    void work() {
        for (;;) {
            ConnectionPtr c;
            {
                std::unique_lock lock(mutex);
                wake.wait(lock, [&] { return !ready.empty() || workersStop; });
                if (ready.empty()) return;
                c = std::move(ready.front());
                ready.pop_front();
                inFlight.insert(c.get());
            }
            queued.add(-1);
            serving.add(1);
            const bool keepAlive = serveOne(*c);
            serving.add(-1);
            {
                std::lock_guard lock(mutex);
                inFlight.erase(c.get());
            }
            settled.notify_all();
            asio::post(io, [this, c, keepAlive] { afterServe(c, keepAlive); });
        }
    }

    // Reads and answers one request, as Poco's HTTPServerConnection does for each.
    bool serveOne(Connection& c) {
        bool keepAlive = false;
        try {
            const Poco::Timespan timeout(static_cast<long>(limits.timeout.count()), 0);
            c.socket.setBlocking(true);
            c.socket.setReceiveTimeout(timeout);
            c.socket.setSendTimeout(timeout);
            if (!c.session) c.session = std::make_unique<ServerSession>(c.socket, params);
            try {
                Poco::Net::HTTPServerResponseImpl response(*c.session);
                Poco::Net::HTTPServerRequestImpl request(response, *c.session, params.get());
                response.setDate(Poco::Timestamp());
                response.setVersion(request.getVersion());
                response.setKeepAlive(params->getKeepAlive() && request.getKeepAlive() && !stopping);
                response.set("Server", params->getSoftwareVersion());
                if (request.getExpectContinue() && response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK) {
                    response.sendContinue();
                }
                serve(request, response);
                keepAlive = response.sent() && response.getKeepAlive() && !stopping;
            } catch (const Poco::Net::MessageException& e) {
                // Not HTTP, or headers beyond Poco's limits: say so, then close.
                Poco::Net::HTTPServerResponseImpl response(*c.session);
                response.setKeepAlive(false);
                sendError(response, WireError::BadRequest, "the request is not valid HTTP/1.1");
            }
        } catch (const Poco::Net::NoMessageException&) {
            // The peer closed its keep-alive connection: the usual end.
        } catch (const Poco::Exception& e) {
            log().warning("connection from %s failed: %s", c.address, e.displayText());
        } catch (const std::exception& e) {
            log().error("connection from %s failed: %s", c.address, std::string(e.what()));
        }
        try {
            c.socket.setBlocking(false);  // back to the reactor, which never blocks
        } catch (const Poco::Exception&) {
            keepAlive = false;
        }
        return keepAlive;
    }

    // --- members ----------------------------------------------------------------------------

    asio::io_context io;  // first: it outlives every connection's timer and watch
    Poco::Net::SecureServerSocket listener;
    ConnectionLimits limits;
    Poco::Net::HTTPServerParams::Ptr params;
    RequestServer serve;
    std::optional<asio::posix::stream_descriptor> listenerWatch;
    asio::steady_timer listenerTimer;

    // The reactor's own (touched on its thread only).
    std::unordered_map<Connection*, ConnectionPtr> open;
    std::unordered_map<std::string, std::size_t> perAddress;
    std::uint64_t acceptFailures = 0;
    std::map<std::string, std::uint64_t> refusals;
    std::atomic<bool> stopping{false};

    // Shared with the workers.
    std::mutex mutex;
    std::condition_variable wake;     // a connection is ready, or the workers must stop
    std::condition_variable settled;  // a request has been answered
    std::deque<ConnectionPtr> ready;  // FIFO: one request per turn
    std::set<Connection*> inFlight;
    bool workersStop = false;

    metrics::Family<metrics::Gauge>& phases;
    metrics::Family<metrics::Counter>& refused;
    metrics::Family<metrics::Counter>& closed;
    metrics::Gauge& handshaking;
    metrics::Gauge& idle;
    metrics::Gauge& queued;
    metrics::Gauge& serving;

    std::uint16_t boundPort;  // kept: the socket is closed by stop()

    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> keepRunning;
    std::thread reactor;
    std::vector<std::thread> workers;
    bool started = false;
    bool stopped = false;
};

ConnectionEngine::ConnectionEngine(Poco::Net::SecureServerSocket listener, ConnectionLimits limits,
                                   Poco::Net::HTTPServerParams::Ptr params, RequestServer serve)
    : state_(std::make_unique<State>(std::move(listener), limits, std::move(params), std::move(serve))) {}

ConnectionEngine::~ConnectionEngine() { stop(); }

void ConnectionEngine::start() {
    State& s = *state_;
    if (s.started) return;
    s.started = true;
    raiseDescriptorLimit(s.limits.maxConnections);
    s.listener.setBlocking(false);
    s.keepRunning.emplace(s.io.get_executor());
    s.waitForListener();
    s.reactor = std::thread([&s] {
        for (;;) {
            try {
                s.io.run();
                return;
            } catch (const std::exception& e) {
                log().error("the exchange listener's reactor: %s", std::string(e.what()));
            }
        }
    });
    for (std::size_t i = 0; i < s.limits.workers; ++i) s.workers.emplace_back([&s] { s.work(); });
}

void ConnectionEngine::stop() {
    State& s = *state_;
    if (s.stopped) return;
    s.stopped = true;
    if (!s.started) {
        State::closeSocket(s.listener);
        return;
    }

    // No new connection; the ones that wait (handshake, idle) are closed.
    std::promise<void> quiet;
    asio::post(s.io, [&s, &quiet] {
        s.stopping = true;
        s.unwatchListener();
        s.listenerTimer.cancel();
        State::closeSocket(s.listener);
        std::vector<ConnectionPtr> waiting;
        for (const auto& [raw, c] : s.open) {
            if (c->phase != Phase::Working) waiting.push_back(c);
        }
        for (const auto& c : waiting) s.close(c, nullptr);
        quiet.set_value();
    });
    quiet.get_future().wait();

    // Ready but not yet started: closed unanswered, like any request that arrives during a stop.
    std::deque<ConnectionPtr> unserved;
    std::unique_lock lock(s.mutex);
    unserved.swap(s.ready);
    for (const auto& c : unserved) {
        s.queued.add(-1);
        asio::post(s.io, [&s, c] { s.afterServe(c, false); });
    }

    // Requests in progress finish, for at most stopGrace; then their sockets are shut down,
    // which ends any read or write a worker is blocked in.
    if (!s.settled.wait_for(lock, s.limits.stopGrace, [&s] { return s.inFlight.empty(); })) {
        log().warning("%s request(s) still in progress after %s s: their connections are cut",
                      std::to_string(s.inFlight.size()), std::to_string(s.limits.stopGrace.count()));
        for (Connection* c : s.inFlight) ::shutdown(c->socket.impl()->sockfd(), SHUT_RDWR);
    }
    s.workersStop = true;
    lock.unlock();
    s.wake.notify_all();
    for (auto& worker : s.workers) worker.join();

    // What the workers handed back is closed; then the reactor runs out of work.
    asio::post(s.io, [&s] {
        std::vector<ConnectionPtr> left;
        for (const auto& [raw, c] : s.open) left.push_back(c);
        for (const auto& c : left) s.close(c, nullptr);
        s.keepRunning.reset();
    });
    s.reactor.join();
}

std::uint16_t ConnectionEngine::port() const { return state_->boundPort; }

}  // namespace passerelle::transport
