#include "store/job_state.h"

#include <algorithm>

namespace passerelle::store {

using db::ColumnType;

std::vector<CursorEntry> JobState::cursor(const std::string& job) {
    return guarded("read a job's cursor", [&](db::Connection& c) {
        // In key order, a chunk at a time, so that the transient buffers stay small
        // whatever the cursor's size: only the result grows (16 bytes a record).
        constexpr std::int64_t kChunk = 8192;
        std::vector<CursorEntry> out;
        std::optional<std::int64_t> after;
        for (;;) {
            db::Values params{job};
            if (after) params.emplace_back(*after);
            params.emplace_back(kChunk);
            // Every 64-bit pattern comes back exactly (db::Rows reads PostgreSQL's integers as text).
            const db::Rows rows = c.query(std::string("SELECT record_key, digest FROM job_cursor WHERE job = ?") +
                                              (after ? " AND record_key > ?" : "") + " ORDER BY record_key LIMIT ?",
                                          {ColumnType::Integer, ColumnType::Integer}, params);
            for (std::size_t row = 0; row < rows.size(); ++row) {
                out.push_back({static_cast<std::uint64_t>(rows.integer(row, 0)),
                               static_cast<std::uint64_t>(rows.integer(row, 1))});
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
