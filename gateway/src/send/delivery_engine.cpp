#include "send/delivery_engine.h"

#include "common/clock.h"
#include "common/errors.h"

#include <Poco/Logger.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

namespace passerelle::exchange {

namespace {

Poco::Logger& log() { return Poco::Logger::get("passerelle.delivery"); }

}  // namespace

DeliveryEngine::DeliveryEngine(BatchDelivery delivery, const config::DeliverySettings& settings,
                               store::Outbox& outbox, std::chrono::seconds pollEvery)
    : delivery_(std::move(delivery)),
      settings_(settings),
      outbox_(outbox),
      pollEvery_(pollEvery),
      loop_([this] { return scan(); }) {}

DeliveryEngine::~DeliveryEngine() { stop(); }

void DeliveryEngine::start() {
    pool_.emplace(settings_.workers);
    loop_.start();
}

void DeliveryEngine::notify() {
    if (stopping_) return;
    loop_.notify();
}

void DeliveryEngine::stop() {
    if (!pool_ || stopping_.exchange(true)) return;
    pool_->join();  // attempts in flight end (each has its timeouts)
    loop_.stop();
}

void DeliveryEngine::send(store::OutboxBatch batch) {
    try {
        delivery_.deliver(batch, "gateway");
    } catch (const std::exception& e) {
        // The store or the ledger failed (a full disk): release the batch for a later try.
        log().error("delivering batch %s failed: %s", batch.batchId, std::string(e.what()));
        try {
            const auto now = std::chrono::system_clock::now();
            outbox_.recordAttemptFailure(batch.batchId, e.what(),
                                         unixSeconds(now + backoffAfter(batch.attempts + 1, settings_)),
                                         formatUtc(now));
        } catch (const std::exception&) {
            // Still failing: its claim lapses with its lease.
        }
    }
    --inFlight_;
    notify();
}

std::chrono::steady_clock::duration DeliveryEngine::scan() {
    if (stopping_) return pollEvery_;
    const std::size_t workers = settings_.workers;
    try {
        const auto steadyNow = std::chrono::steady_clock::now();
        if (steadyNow - lastExpiryCheck_ >= std::chrono::minutes(1)) {
            lastExpiryCheck_ = steadyNow;
            delivery_.deadLetterExpired("gateway");
        }
        const std::size_t busy = inFlight_.load();
        if (busy < workers) {
            for (store::OutboxBatch& batch : delivery_.claimDue(workers - busy)) {
                ++inFlight_;
                boost::asio::post(*pool_, [this, batch = std::move(batch)]() mutable { send(std::move(batch)); });
            }
        }
        // Next look: when the earliest back-off ends, and at least every poll interval.
        auto wait = std::chrono::steady_clock::duration(pollEvery_);
        if (const auto due = outbox_.nextDueAt()) {
            const auto untilDue = std::chrono::seconds(
                std::max<std::int64_t>(0, *due - unixSeconds(std::chrono::system_clock::now())));
            // At least a second: a due batch another live process is sending stays "due".
            if (untilDue < wait) wait = std::max<std::chrono::steady_clock::duration>(untilDue, std::chrono::seconds(1));
        }
        return wait;
    } catch (const Error& e) {
        log().error("outbox scan failed (retried in %s s): %s", std::to_string(pollEvery_.count()),
                    std::string(e.what()));
        return pollEvery_;
    }
}

}  // namespace passerelle::exchange
