#pragma once
// The gateway's Prometheus metrics (served on the admin listener's /metrics,
// docs/delivery.md): what was sent, received, failed and dead-lettered, the
// records they carried, the queues, and the delivery latency. Counters count
// since the process started, as Prometheus expects.

#include "metrics/registry.h"
#include "party/gateway.h"

#include <string>

namespace passerelle::exchange::metrics {

// Institution side, per recipient. `latencySeconds`: from sealing to receipt.
void batchReceipted(const std::string& peer, std::uint64_t records, double latencySeconds);
void attemptFailed(const std::string& peer);
void batchDeadLettered(const std::string& peer);

// Region side, per sender.
void batchReceived(const std::string& peer, std::uint64_t records);
void batchRefused(const std::string& reason);
void sinkHandOff(bool delivered);

// Queue depths read from the state store at each scrape; registered while the handle lives.
passerelle::metrics::CallbackGauge queueGauges(Gateway& gateway);

}  // namespace passerelle::exchange::metrics
