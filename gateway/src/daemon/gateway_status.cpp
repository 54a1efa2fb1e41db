#include "daemon/gateway_status.h"

#include "common/clock.h"
#include "schedule/paris_time.h"
#include "send/job_scheduler.h"

#include <Poco/JSON/Array.h>

#include <cstdio>

namespace passerelle::exchange {

namespace {

std::int64_t ageSeconds(const std::string& utc, std::chrono::system_clock::time_point now) {
    const auto t = parseUtc(utc);
    return t ? std::chrono::duration_cast<std::chrono::seconds>(now - *t).count() : 0;
}

Poco::JSON::Array::Ptr peerOutboxes(Gateway& gateway, std::chrono::system_clock::time_point now) {
    Poco::JSON::Array::Ptr peers = new Poco::JSON::Array;
    auto summaries = gateway.store().outbox().outboxSummary();
    const std::vector<store::OutboxBatch> deadLetters = gateway.store().outbox().outboxWithStatus(store::OutboxStatus::DeadLetter);
    for (const auto& [party, peer] : gateway.config().peers) {
        store::OutboxSummary s;
        for (const auto& found : summaries) {
            if (found.recipient == party) s = found;
        }
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("peer", party);
        o->set("queue_depth", s.pending);
        o->set("oldest_pending", s.oldestPendingAt);
        o->set("oldest_pending_age_seconds", s.oldestPendingAt.empty() ? 0 : ageSeconds(s.oldestPendingAt, now));
        o->set("receipted", s.receipted);
        o->set("last_success", s.lastReceiptAt);
        o->set("last_error", s.lastError);
        o->set("last_error_at", s.lastErrorAt);
        o->set("next_attempt", s.pending > 0 && s.nextAttemptAt > 0
                                   ? formatUtc(std::chrono::system_clock::from_time_t(s.nextAttemptAt))
                                   : std::string());
        o->set("dead_lettered", s.deadLettered);
        Poco::JSON::Array::Ptr dead = new Poco::JSON::Array;
        for (const auto& b : deadLetters) {
            if (b.recipient != party) continue;
            Poco::JSON::Object::Ptr d = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            d->set("batch_id", b.batchId);
            d->set("purpose", b.purpose);
            d->set("records", b.recordCount);
            d->set("queued_since", b.queuedSince());
            d->set("dead_lettered_at", b.deadLetteredAt);
            d->set("attempts", b.attempts);
            d->set("last_error", b.lastError);
            dead->add(d);
        }
        o->set("dead_letters", dead);
        peers->add(o);
    }
    return peers;
}

Poco::JSON::Array::Ptr senderInboxes(Gateway& gateway, std::chrono::system_clock::time_point now) {
    Poco::JSON::Array::Ptr senders = new Poco::JSON::Array;
    const auto summaries = gateway.store().inbox().inboxSummary();
    for (const auto& [party, peer] : gateway.config().peers) {
        store::Inbox::Summary s;
        for (const auto& found : summaries) {
            if (found.sender == party) s = found;
        }
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("peer", party);
        o->set("awaiting_sink", s.awaitingSink);
        o->set("oldest_awaiting_sink", s.oldestAwaitingAt);
        o->set("oldest_awaiting_sink_age_seconds",
               s.oldestAwaitingAt.empty() ? 0 : ageSeconds(s.oldestAwaitingAt, now));
        o->set("handed_to_sink", s.delivered);
        o->set("last_received", s.lastReceivedAt);
        o->set("sink_error", s.sinkError);
        senders->add(o);
    }
    return senders;
}

Poco::JSON::Array::Ptr jobs(Gateway& gateway, std::chrono::system_clock::time_point now) {
    Poco::JSON::Array::Ptr jobs = new Poco::JSON::Array;
    const auto nowSeconds = std::chrono::time_point_cast<std::chrono::seconds>(now);
    for (const auto& [name, job] : gateway.config().jobs) {
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("job", name);
        o->set("purpose", job.purpose);
        o->set("recipient", job.recipient);
        o->set("schedule", job.schedule);
        o->set("incremental", job.incremental);
        const auto run = gateway.store().jobs().jobRun(name);
        o->set("last_run_started", run ? run->lastStartedAt : "");
        o->set("last_run_finished", run ? run->lastFinishedAt : "");
        o->set("last_run_outcome", run ? run->lastOutcome : "");
        Poco::JSON::Array::Ptr next = new Poco::JSON::Array;
        for (const auto t : nextRuns(job, nowSeconds, 3)) next->add(parisTimeText(t));
        o->set("next_runs", next);
        jobs->add(o);
    }
    return jobs;
}

}  // namespace

std::string parisTimeText(std::chrono::sys_seconds t) {
    const schedule::LocalTime local = schedule::toParis(t);
    char text[48];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u %02u:%02u %s", local.year, local.month, local.day, local.hour,
                  local.minute, local.daylightSaving ? "CEST" : "CET");
    return text;
}

Poco::JSON::Object::Ptr gatewayStatus(Gateway& gateway, std::chrono::system_clock::time_point now) {
    const config::GatewayConfig& config = gateway.config();
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("party", config.party);
    o->set("role", std::string(config::roleName(config.role)));
    o->set("time", formatUtc(now));
    // Where the state is: the SQLite files of this folder, or the PostgreSQL database (no password).
    o->set("storage", config.storage.postgresql.empty() ? "sqlite:" + config.stateDir.string()
                                                        : gateway.store().database().location().display());
    if (config.role == config::Role::Institution) {
        o->set("outbox", peerOutboxes(gateway, now));
        o->set("jobs", jobs(gateway, now));
    } else {
        o->set("inbox", senderInboxes(gateway, now));
    }
    return o;
}

}  // namespace passerelle::exchange
