#include "store/job_state.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Nullable.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <tuple>

using namespace Poco::Data::Keywords;

namespace passerelle::store {

std::vector<CursorEntry> JobState::cursor(const std::string& job) {
    return guarded("read a job's cursor", [&](Poco::Data::Session& session) {
        // In key order, a chunk at a time, so that the transient buffers stay small
        // whatever the cursor's size: only the result grows (16 bytes a record).
        constexpr Poco::Int64 kChunk = 8192;
        std::vector<CursorEntry> out;
        std::optional<Poco::Int64> after;
        // On PostgreSQL as text: Poco 1.11's connector reads a 64-bit integer through a
        // double, which rounds the large negative values half of these bit patterns are.
        // (Named otherwise than the column: ORDER BY must sort the integers, not the text.)
        const std::string columns = db_->postgres() ? "CAST(record_key AS TEXT) AS key_text, CAST(digest AS TEXT) AS digest_text"
                                                    : "record_key, digest";
        auto fetch = [&]<typename Value>(std::vector<Value>& keys, std::vector<Value>& digests) {
            std::string j = job;
            Poco::Int64 from = after.value_or(0), limit = kChunk;
            Poco::Data::Statement select(session);
            select << db_->sql("SELECT " + columns + " FROM job_cursor WHERE job = ?" +
                               (after ? " AND record_key > ?" : "") + " ORDER BY record_key LIMIT ?"),
                use(j);
            if (after) select, use(from);
            select, use(limit), into(keys), into(digests);
            select.execute();
        };
        auto bits = [](const std::string& text) {
            std::int64_t value = 0;
            const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (error != std::errc() || end != text.data() + text.size()) {
                throw Poco::DataException("job_cursor holds a value that is not a 64-bit integer");
            }
            return value;
        };
        for (;;) {
            std::size_t got = 0;
            if (db_->postgres()) {
                std::vector<std::string> keys, digests;
                fetch(keys, digests);
                for (std::size_t i = 0; i < keys.size(); ++i) {
                    out.push_back({static_cast<std::uint64_t>(bits(keys[i])), static_cast<std::uint64_t>(bits(digests[i]))});
                }
                got = keys.size();
            } else {
                std::vector<Poco::Int64> keys, digests;
                fetch(keys, digests);
                for (std::size_t i = 0; i < keys.size(); ++i) {
                    out.push_back({static_cast<std::uint64_t>(keys[i]), static_cast<std::uint64_t>(digests[i])});
                }
                got = keys.size();
            }
            if (got == 0) break;
            after = static_cast<Poco::Int64>(out.back().key);
            if (got < static_cast<std::size_t>(kChunk)) break;
        }
        // Signed order is not unsigned order: sort as the readers search.
        std::sort(out.begin(), out.end());
        return out;
    });
}

std::optional<JobRun> JobState::jobRun(const std::string& job) {
    return guarded("read a job's last run", [&](Poco::Data::Session& session) -> std::optional<JobRun> {
        Poco::Data::Statement select(session);
        std::string j = job;
        select << db_->sql("SELECT last_scheduled_for, last_started_at, last_finished_at, last_outcome FROM job_runs"
                           " WHERE job = ?"),
            use(j);
        select.execute();
        Poco::Data::RecordSet rs(select);
        if (rs.rowCount() == 0) return std::nullopt;
        JobRun run;
        run.job = job;
        run.lastScheduledFor = rs.value(0, 0).convert<std::int64_t>();
        run.lastStartedAt = rs.value(1, 0).convert<std::string>();
        run.lastFinishedAt = rs.value(2, 0).convert<std::string>();
        run.lastOutcome = rs.value(3, 0).convert<std::string>();
        return run;
    });
}

void JobState::recordJobRun(const JobRun& run) {
    guarded("record a job's run", [&](Poco::Data::Session& session) {
        Poco::Int64 slot = run.lastScheduledFor;
        session << db_->sql("INSERT INTO job_runs (job, last_scheduled_for, last_started_at, last_finished_at,"
                            " last_outcome) VALUES (?, ?, ?, ?, ?) ON CONFLICT (job) DO UPDATE SET"
                            " last_scheduled_for = excluded.last_scheduled_for,"
                            " last_started_at = excluded.last_started_at,"
                            " last_finished_at = excluded.last_finished_at, last_outcome = excluded.last_outcome"),
            useRef(run.job), use(slot), useRef(run.lastStartedAt), useRef(run.lastFinishedAt),
            useRef(run.lastOutcome), now;
    });
}

}  // namespace passerelle::store
