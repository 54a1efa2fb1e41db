#pragma once
// The institution daemon's delivery workers (docs/delivery.md): a Boost.Asio
// thread pool sending due outbox batches, woken when a batch is queued, when
// the earliest back-off ends, and at least every poll interval (another
// process — a `transfer`, an extraction — may have queued one). Batches past
// [delivery] dead_letter_after_hours become dead letters, with an alert.

#include "party/gateway.h"
#include "send/batch_delivery.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

namespace passerelle::exchange {

class DeliveryEngine {
public:
    DeliveryEngine(Gateway& gateway, std::chrono::seconds pollEvery);
    ~DeliveryEngine();
    DeliveryEngine(const DeliveryEngine&) = delete;
    DeliveryEngine& operator=(const DeliveryEngine&) = delete;

    void start();
    // Looks at the outbox now (a batch was just queued). Callable from any thread.
    void notify();
    // Stops taking batches and waits for the attempts in flight to end.
    void stop();

private:
    void scan();       // on the io thread only
    void armTimer(std::chrono::steady_clock::duration wait);

    Gateway& gateway_;
    BatchDelivery delivery_;
    std::chrono::seconds pollEvery_;
    boost::asio::io_context io_;
    boost::asio::steady_timer timer_;
    std::optional<boost::asio::thread_pool> pool_;
    std::thread ioThread_;
    std::atomic<std::size_t> inFlight_{0};
    std::atomic<bool> stopping_{false};
    std::chrono::steady_clock::time_point lastExpiryCheck_{};
};

}  // namespace passerelle::exchange
