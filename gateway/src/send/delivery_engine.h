#pragma once
// The institution daemon's delivery workers (docs/delivery.md): a Boost.Asio
// thread pool sending due outbox batches, fed by a BackgroundLoop
// (party/background_loop.h) woken when a batch is queued, when the earliest
// back-off ends, and at least every poll interval (another
// process — a `transfer`, an extraction — may have queued one). Batches past
// [delivery] dead_letter_after_hours become dead letters, with an alert.

#include "party/background_loop.h"
#include "send/batch_delivery.h"

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <optional>

namespace passerelle::exchange {

class DeliveryEngine {
public:
    // Sends with `delivery`; `outbox` is the one it delivers from.
    DeliveryEngine(BatchDelivery delivery, const config::DeliverySettings& settings, store::Outbox& outbox,
                   std::chrono::seconds pollEvery);
    ~DeliveryEngine();
    DeliveryEngine(const DeliveryEngine&) = delete;
    DeliveryEngine& operator=(const DeliveryEngine&) = delete;

    void start();
    // Looks at the outbox now (a batch was just queued). Callable from any thread.
    void notify();
    // Stops taking batches and waits for the attempts in flight to end.
    void stop();

private:
    // On the loop's thread: claims what the free workers can send; returns the wait
    // until the next look.
    std::chrono::steady_clock::duration scan();
    void send(store::OutboxBatch batch);  // on a worker

    BatchDelivery delivery_;
    const config::DeliverySettings& settings_;
    store::Outbox& outbox_;
    std::chrono::seconds pollEvery_;
    std::optional<boost::asio::thread_pool> pool_;
    BackgroundLoop loop_;
    std::atomic<std::size_t> inFlight_{0};
    std::atomic<bool> stopping_{false};
    std::chrono::steady_clock::time_point lastExpiryCheck_{};
};

}  // namespace passerelle::exchange
