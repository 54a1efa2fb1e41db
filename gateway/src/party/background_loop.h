#pragma once
// The one way the daemon runs work in the background (docs/architecture.md,
// "Threads"): a task on its own Boost.Asio thread, run again after the pause it
// returns, or at once when notified. The outbox's delivery, the Region's sink
// hand-off and the daemon's housekeeping each run on one; the job scheduler keeps
// a timer per job on the same kind of io_context.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace passerelle::exchange {

class BackgroundLoop {
public:
    // Returns how long to wait before the next run when nothing notifies.
    using Task = std::function<std::chrono::steady_clock::duration()>;

    explicit BackgroundLoop(Task task);
    ~BackgroundLoop();  // stops
    BackgroundLoop(const BackgroundLoop&) = delete;
    BackgroundLoop& operator=(const BackgroundLoop&) = delete;

    // The first run comes after `firstRunAfter`, or sooner when notified.
    void start(std::chrono::steady_clock::duration firstRunAfter = {});
    // Runs the task as soon as the current run (if any) ends; notifications that
    // arrive meanwhile make one run. Callable from any thread, a no-op once stopping.
    void notify();
    // No run starts after this; waits for the one in progress. Idempotent.
    void stop();

private:
    void run();  // on the loop's thread only
    void armTimer(std::chrono::steady_clock::duration wait);

    Task task_;
    boost::asio::io_context io_;
    boost::asio::steady_timer timer_;
    std::thread thread_;
    std::atomic<bool> pending_{false};
    std::atomic<bool> stopping_{false};
};

}  // namespace passerelle::exchange
