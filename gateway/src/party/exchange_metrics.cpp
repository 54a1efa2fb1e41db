#include "party/exchange_metrics.h"

#include "metrics/instruments.h"

namespace passerelle::exchange::metrics {

namespace {

using passerelle::metrics::registry;

passerelle::metrics::Family<passerelle::metrics::Counter>& perPeer(const char* name, const char* help) {
    return registry().counter(name, help, {"peer"});
}

}  // namespace

void batchReceipted(const std::string& peer, std::uint64_t records, double latencySeconds) {
    static auto& sent = perPeer("passerelle_batches_sent_total", "Batches receipted by their recipient");
    static auto& sentRecords = perPeer("passerelle_records_sent_total", "Records in batches receipted by their recipient");
    static auto& latency = registry().histogram(
        "passerelle_delivery_latency_seconds", "Time from sealing a batch to holding its receipt", {"peer"},
        passerelle::metrics::exponentialBuckets(0.05, 2, 18));
    sent.labels({peer}).inc();
    sentRecords.labels({peer}).inc(records);
    latency.labels({peer}).observe(latencySeconds);
}

void attemptFailed(const std::string& peer) {
    static auto& failed = perPeer("passerelle_batches_failed_total", "Delivery attempts that failed (the batch stays queued)");
    failed.labels({peer}).inc();
}

void batchDeadLettered(const std::string& peer) {
    static auto& dead = perPeer("passerelle_batches_dead_lettered_total", "Batches dead-lettered after too long undelivered");
    dead.labels({peer}).inc();
}

void batchReceived(const std::string& peer, std::uint64_t records) {
    static auto& received = perPeer("passerelle_batches_received_total", "Batches stored and receipted");
    static auto& receivedRecords = perPeer("passerelle_records_received_total", "Records in batches stored and receipted");
    received.labels({peer}).inc();
    receivedRecords.labels({peer}).inc(records);
}

void batchRefused(const std::string& reason) {
    static auto& refused =
        registry().counter("passerelle_batches_refused_total", "Incoming batches refused, by error code", {"error"});
    refused.labels({reason}).inc();
}

void sinkHandOff(bool delivered) {
    static auto& handOffs =
        registry().counter("passerelle_sink_handoffs_total", "Hand-offs of stored batches to the sink plugin", {"outcome"});
    handOffs.labels({delivered ? "delivered" : "failed"}).inc();
}

passerelle::metrics::CallbackGauge queueGauges(Gateway& gateway) {
    if (gateway.config().role == config::Role::Institution) {
        return registry().gaugeCallback(
            "passerelle_outbox_batches", "Batches in the outbox, by recipient and state (pending, dead-letter)",
            {"peer", "state"}, [&gateway] {
                passerelle::metrics::CallbackSamples samples;
                for (const auto& s : gateway.store().outbox().outboxSummary()) {
                    samples.push_back({{s.recipient, "pending"}, static_cast<double>(s.pending)});
                    samples.push_back({{s.recipient, "dead-letter"}, static_cast<double>(s.deadLettered)});
                }
                return samples;
            });
    }
    return registry().gaugeCallback(
        "passerelle_inbox_awaiting_sink", "Batches stored and not yet handed to the sink, by sender", {"peer"},
        [&gateway] {
            passerelle::metrics::CallbackSamples samples;
            for (const auto& s : gateway.store().inbox().inboxSummary()) {
                samples.push_back({{s.sender}, static_cast<double>(s.awaitingSink)});
            }
            return samples;
        });
}

}  // namespace passerelle::exchange::metrics
