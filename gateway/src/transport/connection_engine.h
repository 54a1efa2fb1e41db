#pragma once
// How the exchange listener holds its connections: without a thread each.
//
// One reactor thread (a Boost.Asio io_context) owns every connection that is
// not being served. It accepts, refuses a connection at once when its address
// already holds max_per_address connections or the listener max_connections
// (closing the oldest idle keep-alive connection first, then the oldest
// unfinished handshake, to make room), and drives each TLS handshake in
// non-blocking mode under a deadline. A connection that is ready (a request's
// bytes have arrived) joins a FIFO queue; a fixed pool of workers takes one
// connection at a time, reads and answers exactly ONE request with Poco, and
// gives the connection back to the reactor, where it waits idle, costing no
// thread, until its next request or its idle timeout. So a keep-alive client
// cannot hold a worker between requests, and idle or silent TCP connections
// cannot hold one at all: the old thread-per-connection server let 16
// keep-alive clients lock out the 17th for a minute.
//
// Poco 1.11 notes (why the code looks as it does):
//   - SecureServerSocket::acceptConnection does not start the handshake; the
//     reactor calls completeHandshake() when the socket is readable.
//   - SecureStreamSocketImpl does not forward setBlocking() to the socket it
//     wraps, so on a non-blocking socket a handshake that needs more bytes ends
//     in Poco's blocking retry: poll(SO_RCVTIMEO) and a TimeoutException. With
//     SO_RCVTIMEO 0 (a fresh socket's) that poll returns at once: the
//     TimeoutException means "wait for readability", as ERR_SSL_WANT_READ would.
//   - The reactor watches the raw descriptor with a stream_descriptor that is
//     released (never closed) after each wait: Poco owns the descriptor.
//   - HTTPServerSession's buffer survives between requests (one session per
//     connection), and bytes already in it or in OpenSSL make the connection
//     ready without waiting for the descriptor.

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace passerelle::transport {

struct ConnectionLimits {
    std::size_t workers = 16;                       // [http] workers
    std::chrono::seconds handshakeDeadline{10};     // [http] handshake_seconds
    std::chrono::seconds timeout{60};               // [http] timeout_seconds: per read or write, and idle keep-alive
    std::size_t maxConnections = 1024;              // [http] max_connections
    std::size_t maxConnectionsPerAddress = 128;     // [http] max_connections_per_address
    std::chrono::seconds stopGrace{10};             // how long stop() lets requests in progress finish
};

// Answers one request; runs on a worker thread. It must send a response
// (or leave the connection to be closed by throwing).
using RequestServer = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;

class ConnectionEngine {
public:
    // Takes the bound, listening socket. Starts no thread.
    ConnectionEngine(Poco::Net::SecureServerSocket listener, ConnectionLimits limits,
                     Poco::Net::HTTPServerParams::Ptr params, RequestServer serve);
    ~ConnectionEngine();
    ConnectionEngine(const ConnectionEngine&) = delete;
    ConnectionEngine& operator=(const ConnectionEngine&) = delete;

    // Starts the reactor thread and the workers.
    void start();
    // Stops accepting, closes idle and handshaking connections, lets requests
    // in progress finish (at most stopGrace, then their sockets are shut down),
    // joins every thread. Idempotent.
    void stop();

    std::uint16_t port() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace passerelle::transport
