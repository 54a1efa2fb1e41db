#include "send/job_scheduler.h"

#include "common/clock.h"
#include "common/errors.h"
#include "common/file_lock.h"
#include "schedule/calendar.h"
#include "schedule/paris_time.h"
#include "send/batch_preparer.h"

#include <Poco/Logger.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

namespace passerelle::exchange {

namespace {

Poco::Logger& log() { return Poco::Logger::get("passerelle.scheduler"); }

std::chrono::sys_seconds nowSeconds() {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::string formatSlot(std::chrono::sys_seconds t) { return formatUtc(std::chrono::system_clock::time_point(t)); }

}  // namespace

std::vector<std::chrono::sys_seconds> nextRuns(const config::JobSettings& job, std::chrono::sys_seconds after,
                                               std::size_t count) {
    std::vector<std::chrono::sys_seconds> runs;
    if (job.schedule.empty()) return runs;
    const auto cron = schedule::CronExpression::parse(job.schedule);
    while (runs.size() < count) {
        const auto next = cron.nextAfter(after);
        if (!next) break;
        runs.push_back(*next);
        after = *next;
    }
    return runs;
}

std::filesystem::path jobLockFile(const config::GatewayConfig& config, const std::string& job) {
    return config.stateDir / "jobs" / (job + ".lock");
}

std::string jobLockName(const std::string& job) { return "job " + job; }

JobScheduler::JobScheduler(SendingParts parts, store::InstanceLocks& locks, std::function<void()> onQueued)
    : parts_(parts), locks_(locks), onQueued_(std::move(onQueued)) {
    for (const auto& [name, job] : parts_.config.jobs) {
        if (job.schedule.empty()) continue;
        auto s = std::make_unique<Scheduled>(
            Scheduled{&job, schedule::CronExpression::parse(job.schedule), nullptr, false});
        s->timer = std::make_unique<boost::asio::system_timer>(io_);
        jobs_.push_back(std::move(s));
    }
}

JobScheduler::~JobScheduler() { stop(); }

void JobScheduler::start() {
    if (jobs_.empty()) return;
    pool_.emplace(std::min<std::size_t>(jobs_.size(), 4));
    const auto now = nowSeconds();
    for (auto& s : jobs_) {
        const config::JobSettings& job = *s->job;
        const auto last = parts_.jobs.jobRun(job.name);
        std::optional<std::chrono::sys_seconds> missed;
        if (job.catchUp && last && last->lastScheduledFor > 0) {
            // The latest slot that passed while nothing ran it: run once for all of them.
            auto slot = s->cron.nextAfter(std::chrono::sys_seconds(std::chrono::seconds(last->lastScheduledFor)));
            for (std::size_t guard = 0; slot && *slot <= now && guard < 1'000'000; ++guard) {
                missed = slot;
                slot = s->cron.nextAfter(*slot);
            }
        }
        if (missed) {
            log().information("job %s: the run due at %s was missed while the gateway was down: running it now",
                              job.name, formatSlot(*missed));
            boost::asio::post(io_, [this, &s = *s, slot = *missed] { fire(s, slot); });
        } else {
            arm(*s, now);
        }
    }
    ioThread_ = std::thread([this] {
        auto work = boost::asio::make_work_guard(io_);
        io_.run();
    });
}

void JobScheduler::stop() {
    if (!ioThread_.joinable()) return;
    boost::asio::post(io_, [this] {
        stopping_ = true;
        for (auto& s : jobs_) s->timer->cancel();
    });
    if (pool_) pool_->join();
    io_.stop();
    ioThread_.join();
}

void JobScheduler::arm(Scheduled& s, std::chrono::sys_seconds after) {
    const auto next = s.cron.nextAfter(after);
    if (!next) {
        log().warning("job %s: schedule '%s' names no time in the next five years", s.job->name, s.cron.text());
        return;
    }
    s.timer->expires_at(std::chrono::system_clock::time_point(*next));
    s.timer->async_wait([this, &s, slot = *next](const boost::system::error_code& ec) {
        if (!ec) fire(s, slot);
    });
}

void JobScheduler::fire(Scheduled& s, std::chrono::sys_seconds slot) {
    if (stopping_) return;
    arm(s, std::max(slot, nowSeconds()));
    if (s.running) {
        log().warning("job %s: the run due at %s is skipped: the previous run is still going", s.job->name,
                      formatSlot(slot));
        return;
    }
    s.running = true;
    boost::asio::post(*pool_, [this, &s, slot] {
        runJob(*s.job, slot);
        boost::asio::post(io_, [&s] { s.running = false; });
    });
}

void JobScheduler::runJob(const config::JobSettings& job, std::chrono::sys_seconds slot) {
    store::JobRun run;
    run.job = job.name;
    run.lastScheduledFor = slot.time_since_epoch().count();
    run.lastStartedAt = formatUtc(std::chrono::system_clock::now());
    // Held until the run is recorded: an instance that takes the lock after them finds the slot done.
    std::optional<FileLock> lock;
    std::optional<store::ExclusiveLock> instanceLock;
    try {
        std::filesystem::create_directories(jobLockFile(parts_.config, job.name).parent_path());
        if (auto held = FileLock::tryAcquire(jobLockFile(parts_.config, job.name)))
            lock.emplace(std::move(*held));
        if (lock) {
            if (auto held = locks_.tryExclusive(jobLockName(job.name)))
                instanceLock.emplace(std::move(*held));
        }
        if (!lock || !instanceLock) {
            log().warning("job %s: the run due at %s is skipped: a run of the job is going on (a transfer, or "
                          "another instance)",
                          job.name, formatSlot(slot));
            return;
        }
        // Another instance on the same database may have run this slot already.
        if (const auto last = parts_.jobs.jobRun(job.name);
            last && last->lastScheduledFor >= run.lastScheduledFor) {
            log().information("job %s: the run due at %s was made by another instance (%s)", job.name,
                              formatSlot(slot), last->lastOutcome);
            return;
        }
        PrepareOptions options;
        options.reason = "job " + job.name + ", scheduled '" + job.schedule + "' at " + formatSlot(slot);
        if (job.exitMonthsAgo > 0) {
            std::tie(options.exitFrom, options.exitTo) =
                schedule::exitWindowMonthsAgo(schedule::toParis(slot).date(), job.exitMonthsAgo);
            options.reason += ", exit dates " + options.exitFrom + " to " + options.exitTo;
        }
        BatchPreparer preparer(parts_);
        const PreparedBatch prepared = preparer.prepare(job.name, "scheduler", options);
        run.lastOutcome = prepared.batchId ? "sealed batch " + *prepared.batchId + " (" +
                                                 std::to_string(prepared.sealed) + " records)"
                                           : "nothing to send (" + std::to_string(prepared.rowsRead) + " rows read, " +
                                                 std::to_string(prepared.quarantined) + " quarantined)";
        log().information("job %s (due %s): %s", job.name, formatSlot(slot), run.lastOutcome);
        if (prepared.batchId && onQueued_) onQueued_();
    } catch (const std::exception& e) {
        run.lastOutcome = std::string("failed: ") + e.what();
        log().error("job %s (due %s) failed: %s", job.name, formatSlot(slot), std::string(e.what()));
    }
    run.lastFinishedAt = formatUtc(std::chrono::system_clock::now());
    try {
        parts_.jobs.recordJobRun(run);
    } catch (const Error& e) {
        log().error("job %s: cannot record its run: %s", job.name, std::string(e.what()));
    }
}

}  // namespace passerelle::exchange
