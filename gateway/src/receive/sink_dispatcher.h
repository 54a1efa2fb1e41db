#pragma once
// The Region's hand-off: opens each stored batch with the Region's key and
// writes its records to the configured sink plugin. A failing sink loses
// nothing: the batch stays 'stored' and is retried, with growing pauses.

#include "party/gateway.h"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace passerelle::exchange {

class SinkDispatcher {
public:
    explicit SinkDispatcher(Gateway& gateway);
    ~SinkDispatcher();
    SinkDispatcher(const SinkDispatcher&) = delete;
    SinkDispatcher& operator=(const SinkDispatcher&) = delete;

    // Hands every stored batch to the sink once; returns how many are still waiting.
    std::size_t drain();

    // Runs drain() on its own thread whenever notified, and every few seconds.
    void start();
    void notify();
    void stop();

private:
    void deliver(const store::InboxBatch& batch);

    Gateway& gateway_;
    std::mutex mutex_;
    std::mutex drainMutex_;
    std::condition_variable wake_;
    bool pending_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace passerelle::exchange
