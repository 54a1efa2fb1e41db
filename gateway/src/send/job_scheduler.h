#pragma once
// Scheduled jobs in the institution daemon (docs/delivery.md): each job with a
// `schedule` runs at the times its cron expression names on the Europe/Paris
// wall clock, on a Boost.Asio system timer. Runs of one job never overlap, in
// this process or with a `transfer` of the same job (a lock file per job). A
// run missed while the gateway was down runs once at start when the job says
// `catch_up = true` (the default).

#include "schedule/cron.h"
#include "send/sending_parts.h"
#include "store/instance_locks.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/system_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace passerelle::exchange {

// The next `count` times the job is scheduled to run after `after`.
std::vector<std::chrono::sys_seconds> nextRuns(const config::JobSettings& job, std::chrono::sys_seconds after,
                                               std::size_t count);

// The lock a run of the job holds (state/jobs/<job>.lock).
std::filesystem::path jobLockFile(const config::GatewayConfig& config, const std::string& job);
// The same lock across instances on one PostgreSQL database (StateStore::tryExclusive).
std::string jobLockName(const std::string& job);

class JobScheduler {
public:
    // Runs each job's BatchPreparer on `parts`; `locks` keep a job's runs apart across
    // instances on one PostgreSQL database. onQueued: a run put a batch in the outbox.
    JobScheduler(SendingParts parts, store::InstanceLocks& locks, std::function<void()> onQueued);
    ~JobScheduler();
    JobScheduler(const JobScheduler&) = delete;
    JobScheduler& operator=(const JobScheduler&) = delete;

    void start();
    void stop();  // waits for runs in progress

private:
    struct Scheduled {
        const config::JobSettings* job = nullptr;
        schedule::CronExpression cron;
        std::unique_ptr<boost::asio::system_timer> timer;
        bool running = false;  // only touched on the io thread
    };

    void arm(Scheduled& s, std::chrono::sys_seconds after);
    void fire(Scheduled& s, std::chrono::sys_seconds slot);
    void runJob(const config::JobSettings& job, std::chrono::sys_seconds slot);

    SendingParts parts_;
    store::InstanceLocks& locks_;
    std::function<void()> onQueued_;
    boost::asio::io_context io_;
    std::optional<boost::asio::thread_pool> pool_;
    std::thread ioThread_;
    std::vector<std::unique_ptr<Scheduled>> jobs_;
    bool stopping_ = false;
};

}  // namespace passerelle::exchange
