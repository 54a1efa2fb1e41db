#pragma once
// The Region's hand-off: opens each stored batch with the Region's key and
// writes its records to the configured sink plugin. A failing sink loses
// nothing: the batch stays 'stored' and is retried, with growing pauses.

#include "party/background_loop.h"
#include "receive/receiving_parts.h"

#include <chrono>
#include <cstdint>
#include <mutex>

namespace passerelle::exchange {

class SinkDispatcher {
public:
    explicit SinkDispatcher(ReceivingParts parts);
    ~SinkDispatcher();
    SinkDispatcher(const SinkDispatcher&) = delete;
    SinkDispatcher& operator=(const SinkDispatcher&) = delete;

    // Hands every stored batch to the sink once; returns how many are still waiting.
    std::size_t drain();

    // Runs drain() on its own loop (party/background_loop.h) whenever notified, and
    // every few seconds: 2 s, doubling up to 5 min while batches keep failing.
    void start();
    void notify();
    void stop();

private:
    void deliver(const store::InboxBatch& batch);

    ReceivingParts parts_;
    std::mutex drainMutex_;
    std::chrono::seconds pause_{2};
    BackgroundLoop loop_;
};

}  // namespace passerelle::exchange
