#include "store/job_state.h"

#include <algorithm>
#include <charconv>

namespace passerelle::store {

namespace {

using db::ColumnType;

// A cursor value read as text: the 64-bit integer it spells.
std::int64_t bitsOf(const std::string& text) {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        throw db::DatabaseError("job_cursor holds a value that is not a 64-bit integer");
    }
    return value;
}

}  // namespace

std::vector<CursorEntry> JobState::cursor(const std::string& job) {
    return guarded("read a job's cursor", [&](db::Connection& c) {
        // In key order, a chunk at a time, so that the transient buffers stay small
        // whatever the cursor's size: only the result grows (16 bytes a record).
        constexpr std::int64_t kChunk = 8192;
        std::vector<CursorEntry> out;
        std::optional<std::int64_t> after;
        // On PostgreSQL as text: Poco 1.11's connector (under database/connection.cpp)
        // reads a 64-bit integer through a double, which rounds the large negative values
        // half of these bit patterns are. (Named otherwise than the column: ORDER BY must
        // sort the integers, not the text.)
        const bool asText = c.postgres();
        const std::string columns =
            asText ? "CAST(record_key AS TEXT) AS key_text, CAST(digest AS TEXT) AS digest_text" : "record_key, digest";
        const ColumnType type = asText ? ColumnType::Text : ColumnType::Integer;
        for (;;) {
            db::Values params{job};
            if (after) params.emplace_back(*after);
            params.emplace_back(kChunk);
            const db::Rows rows = c.query("SELECT " + columns + " FROM job_cursor WHERE job = ?" +
                                              (after ? " AND record_key > ?" : "") + " ORDER BY record_key LIMIT ?",
                                          {type, type}, params);
            for (std::size_t row = 0; row < rows.size(); ++row) {
                const std::int64_t key = asText ? bitsOf(rows.text(row, 0)) : rows.integer(row, 0);
                const std::int64_t digest = asText ? bitsOf(rows.text(row, 1)) : rows.integer(row, 1);
                out.push_back({static_cast<std::uint64_t>(key), static_cast<std::uint64_t>(digest)});
            }
            if (rows.empty()) break;
            after = static_cast<std::int64_t>(out.back().key);
            if (rows.size() < static_cast<std::size_t>(kChunk)) break;
        }
        // Signed order is not unsigned order: sort as the readers search.
        std::sort(out.begin(), out.end());
        return out;
    });
}

std::optional<JobRun> JobState::jobRun(const std::string& job) {
    return guarded("read a job's last run", [&](db::Connection& c) -> std::optional<JobRun> {
        const db::Rows rows = c.query("SELECT last_scheduled_for, last_started_at, last_finished_at, last_outcome"
                                      " FROM job_runs WHERE job = ?",
                                      {ColumnType::Integer, ColumnType::Text, ColumnType::Text, ColumnType::Text},
                                      {job});
        if (rows.empty()) return std::nullopt;
        JobRun run;
        run.job = job;
        run.lastScheduledFor = rows.integer(0, 0);
        run.lastStartedAt = rows.text(0, 1);
        run.lastFinishedAt = rows.text(0, 2);
        run.lastOutcome = rows.text(0, 3);
        return run;
    });
}

void JobState::recordJobRun(const JobRun& run) {
    guarded("record a job's run", [&](db::Connection& c) {
        c.execute("INSERT INTO job_runs (job, last_scheduled_for, last_started_at, last_finished_at,"
                  " last_outcome) VALUES (?, ?, ?, ?, ?) ON CONFLICT (job) DO UPDATE SET"
                  " last_scheduled_for = excluded.last_scheduled_for,"
                  " last_started_at = excluded.last_started_at,"
                  " last_finished_at = excluded.last_finished_at, last_outcome = excluded.last_outcome",
                  {run.job, run.lastScheduledFor, run.lastStartedAt, run.lastFinishedAt, run.lastOutcome});
    });
}

}  // namespace passerelle::store
