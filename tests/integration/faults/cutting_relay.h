#pragma once
// A plain TCP relay on 127.0.0.1 between an institution and the Region that can
// cut a connection part-way through what the client sends.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace passerelle::integration {

// Relays 127.0.0.1:port() to the Region byte for byte (TLS passes through
// untouched). Armed with cutAfter(), the next connection whose client sends
// more than `bytes` is cut right there: both sides see a reset (Cut::Reset) or
// an orderly close (Cut::Close) in the middle of the request body.
class CuttingRelay {
public:
    enum class Cut { Reset, Close };

    explicit CuttingRelay(int upstreamPort) : upstreamPort_(upstreamPort) {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listener_ < 0) throw std::runtime_error("relay: socket: " + std::string(std::strerror(errno)));
        sockaddr_in addr = loopback(0);
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(listener_, 64) != 0) {
            throw std::runtime_error("relay: bind/listen: " + std::string(std::strerror(errno)));
        }
        socklen_t len = sizeof addr;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        acceptor_ = std::thread([this] { acceptLoop(); });
    }
    CuttingRelay(const CuttingRelay&) = delete;
    CuttingRelay& operator=(const CuttingRelay&) = delete;

    ~CuttingRelay() {
        stopping_ = true;
        acceptor_.join();
        ::close(listener_);
        std::vector<std::thread> workers;
        {
            std::lock_guard lock(mutex_);
            workers.swap(workers_);
        }
        for (std::thread& t : workers) t.join();
    }

    int port() const { return port_; }

    void cutAfter(std::uint64_t bytes, Cut style, int connections = 1) {
        cutAt_ = bytes;
        style_ = style;
        cutsLeft_ = connections;
    }

    int accepted() const { return accepted_; }
    int cut() const { return cut_; }
    // Client-to-Region bytes relayed on connections that were not cut.
    std::uint64_t longestRelayed() const { return longestRelayed_; }

private:
    static sockaddr_in loopback(int port) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return addr;
    }

    void acceptLoop() {
        while (!stopping_) {
            pollfd p{listener_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) continue;
            ++accepted_;
            std::lock_guard lock(mutex_);
            workers_.emplace_back([this, client] { relay(client); });
        }
    }

    static bool sendAll(int fd, const char* data, std::size_t size) {
        while (size > 0) {
            const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            data += n;
            size -= static_cast<std::size_t>(n);
        }
        return true;
    }

    static void closeWith(int fd, Cut style) {
        if (style == Cut::Reset) {
            linger l{1, 0};  // close() sends RST
            ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        } else {
            ::shutdown(fd, SHUT_RDWR);
        }
        ::close(fd);
    }

    void relay(int client) {
        const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr = loopback(upstreamPort_);
        if (upstream < 0 || ::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            if (upstream >= 0) ::close(upstream);
            closeWith(client, Cut::Reset);
            return;
        }
        std::uint64_t fromClient = 0;
        char buffer[16384];
        bool clientOpen = true, upstreamOpen = true;
        while (!stopping_ && (clientOpen || upstreamOpen)) {
            pollfd fds[2] = {{client, static_cast<short>(clientOpen ? POLLIN : 0), 0},
                             {upstream, static_cast<short>(upstreamOpen ? POLLIN : 0), 0}};
            if (::poll(fds, 2, 100) <= 0) continue;
            if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
                if (n <= 0) {
                    clientOpen = false;
                    ::shutdown(upstream, SHUT_WR);
                    if (!upstreamOpen) break;
                } else {
                    std::size_t size = static_cast<std::size_t>(n);
                    const std::uint64_t limit = cutAt_;
                    if (fromClient + size > limit && cutsLeft_ > 0 && cutsLeft_.fetch_sub(1) > 0) {
                        // Exactly `limit` bytes reach the Region, then the line goes dead.
                        sendAll(upstream, buffer, static_cast<std::size_t>(limit - fromClient));
                        closeWith(upstream, style_);
                        closeWith(client, style_);
                        ++cut_;
                        return;
                    }
                    fromClient += size;
                    if (!sendAll(upstream, buffer, size)) break;
                }
            }
            if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                const ssize_t n = ::recv(upstream, buffer, sizeof buffer, 0);
                if (n <= 0) {
                    upstreamOpen = false;
                    ::shutdown(client, SHUT_WR);
                    if (!clientOpen) break;
                } else if (!sendAll(client, buffer, static_cast<std::size_t>(n))) {
                    break;
                }
            }
        }
        std::uint64_t longest = longestRelayed_;
        while (fromClient > longest && !longestRelayed_.compare_exchange_weak(longest, fromClient)) {
        }
        ::close(upstream);
        ::close(client);
    }

    int upstreamPort_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> cutAt_{UINT64_MAX};
    std::atomic<Cut> style_{Cut::Reset};
    std::atomic<int> cutsLeft_{0};
    std::atomic<int> accepted_{0};
    std::atomic<int> cut_{0};
    std::atomic<std::uint64_t> longestRelayed_{0};
    std::thread acceptor_;
    std::mutex mutex_;
    std::vector<std::thread> workers_;
};

}  // namespace passerelle::integration
