#pragma once
// The load of issue 7's acceptance test: `passerelle transfer` runs launched without
// pause across the institution's instances (each seals one batch and tries to deliver
// it), a few at a time, never two of the same job at once (a job runs once across
// instances). Once a share of the batches is settled, a Region instance's gateway is
// killed with SIGKILL: the transfers of the institution instance that sends to it
// leave their batches queued. Shortly after, that institution instance goes down too
// (its gateway killed, no transfer started on it), so its queued batches, whose files
// only its state folder holds, wait for it. Both come back a few seconds later. It
// keeps count of what it did; what must hold afterwards is the test's business
// (shared_database_test.cpp).

#include <functional>

#include "instances_fixture.h"

namespace passerelle::integration {

// A job of the load: its own small export, so batches differ in size and content.
struct LoadJob {
    std::string name;
    std::string purpose;
    int rows = 0;
};

struct LoadPlan {
    int batches = 1000;
    std::size_t parallel = 4;
    // Batches settled when the Region instance is killed; the institution instance goes
    // down `institutionKillDelay` later. Each comes back after its own pause.
    int killAfter = 400;
    std::chrono::milliseconds institutionKillDelay{1500};
    std::chrono::milliseconds regionDownFor{2500};
    std::chrono::milliseconds institutionDownFor{4000};
    // For every transfer to settle: a slower machine fails, saying so.
    std::chrono::seconds limit{360};
    // A transfer running longer hangs.
    std::chrono::seconds transferLimit{90};
};

// What the kill takes down: a Region instance's gateway, and the institution instance
// (among those of the load) that sends to it.
struct KillTargets {
    GatewayProcess* region = nullptr;
    std::size_t institution = 0;
};

// Called at each step of the kill, to note what the instances hold at that moment.
struct KillObservers {
    std::function<void()> regionKilled, institutionKilled, institutionRestarting;
};

struct LoadCounts {
    int launched = 0;
    int receipted = 0;                // transfers that exited 0
    int queued = 0;                   // exited 1, their batch left in the outbox
    int queuedConnectionRefused = 0;  // ... because the Region instance was down
    std::vector<int> sealedPerInstance;
    int settledAtKill = -1;  // -1: no kill
    int restarts = 0;
    std::chrono::system_clock::time_point killedAt{};  // the Region instance's kill
    std::chrono::milliseconds institutionDown{0};      // how long the institution instance was down
    std::chrono::milliseconds elapsed{0};
    std::chrono::milliseconds transferTime{0};  // the transfers' wall times added up
    std::chrono::milliseconds slowestTransfer{0};
};

class TransferLoad {
public:
    using Clock = std::chrono::steady_clock;

    TransferLoad(LoadPlan plan, std::vector<GatewayInstance*> institutions, std::vector<LoadJob> jobs,
                 KillTargets kill, std::vector<GatewayProcess*> everyGateway, fs::path logDir)
        : plan_(plan),
          institutions_(std::move(institutions)),
          jobs_(std::move(jobs)),
          kill_(kill),
          gateways_(std::move(everyGateway)),
          logDir_(std::move(logDir)) {
        counts_.sealedPerInstance.assign(institutions_.size(), 0);
    }

    void observe(KillObservers observers) { observers_ = std::move(observers); }

    const LoadCounts& counts() const { return counts_; }
    // Batch id -> index of the institution instance whose transfer sealed it.
    const std::map<std::string, std::size_t>& batches() const { return batches_; }
    Findings& unexpected() { return unexpected_; }

    // Runs until every transfer settled (or the limit passed); true when they all did.
    bool run() {
        const Clock::time_point start = Clock::now();
        while (Clock::now() - start < plan_.limit) {
            const Clock::time_point now = Clock::now();
            reap(now);
            revive(now);
            const int settled = counts_.receipted + counts_.queued + failed_;
            if (counts_.settledAtKill < 0 && settled >= plan_.killAfter) killRegion();
            if (institutionKillAt_ && now >= *institutionKillAt_) killInstitution();
            if (settled >= plan_.batches && inFlight_.empty()) break;
            while (inFlight_.size() < plan_.parallel && counts_.launched < plan_.batches && launch()) {
            }
            std::this_thread::sleep_for(10ms);
        }
        counts_.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        // Whatever happens, the killed gateways are up again when the load ends.
        if (institutionKillAt_) killInstitution();
        for (auto it = restartAt_.begin(); it != restartAt_.end();) restart(it);
        for (InFlight& t : inFlight_) {
            unexpected_.add("transfer " + describe(t) + " still running after the load's " +
                            std::to_string(plan_.limit.count()) + " s");
            t.process->killHard();
        }
        const bool done = inFlight_.empty() && counts_.receipted + counts_.queued + failed_ >= plan_.batches;
        inFlight_.clear();
        return done;
    }

private:
    struct InFlight {
        std::unique_ptr<ChildProcess> process;
        std::size_t instance = 0;
        std::string job;
        Clock::time_point started;
    };

    std::string describe(const InFlight& t) const {
        return institutions_[t.instance]->label + " " + t.job + " (" + t.process->errFile() + ")";
    }

    // The instances that are up take turns; the job is the next one no transfer is running.
    bool launch() {
        std::size_t instance = nextInstance_;
        while (instance == down_) instance = (instance + 1) % institutions_.size();
        for (std::size_t k = 0; k < jobs_.size(); ++k) {
            const LoadJob& job = jobs_[(nextJob_ + k) % jobs_.size()];
            const bool busy = std::any_of(inFlight_.begin(), inFlight_.end(),
                                          [&](const InFlight& t) { return t.job == job.name; });
            if (busy) continue;
            nextJob_ = (nextJob_ + k + 1) % jobs_.size();
            nextInstance_ = (instance + 1) % institutions_.size();
            InFlight t;
            t.instance = instance;
            t.job = job.name;
            ++counts_.launched;
            const GatewayInstance& inst = *institutions_[t.instance];
            t.process = std::make_unique<ChildProcess>(
                std::vector<std::string>{kPasserelle.string(), "transfer", "--config", inst.config.string(),
                                         "--job", job.name, "--json"},
                logDir_ / (inst.label + ".transfer" + std::to_string(counts_.launched)));
            t.started = Clock::now();
            inFlight_.push_back(std::move(t));
            return true;
        }
        return false;
    }

    // A transfer that ended: 0 (receipted) or 1 (queued, the error said) with its batch named.
    void settle(InFlight& t, int code, Clock::time_point now) {
        const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(now - t.started);
        counts_.transferTime += took;
        counts_.slowestTransfer = std::max(counts_.slowestTransfer, took);
        Poco::JSON::Object::Ptr summary;
        try {
            summary = Poco::JSON::Parser().parse(t.process->out()).extract<Poco::JSON::Object::Ptr>();
        } catch (const Poco::Exception&) {
        }
        const std::string batch = summary ? summary->optValue<std::string>("batch_id", "") : "";
        if ((code != 0 && code != 1) || batch.empty()) {
            ++failed_;
            unexpected_.add("transfer " + describe(t) + " exited with " + std::to_string(code) +
                            (batch.empty() ? " without naming its batch" : "") + ":\n" +
                            logTail(t.process->errFile(), 6));
            return;
        }
        batches_[batch] = t.instance;
        ++counts_.sealedPerInstance[t.instance];
        if (code == 0) {
            ++counts_.receipted;
            // Its logs say nothing the counts do not: 1,000 of them would only fill the disk.
            std::error_code ec;
            fs::remove(t.process->outFile(), ec);
            fs::remove(t.process->errFile(), ec);
            return;
        }
        ++counts_.queued;
        const std::string error = summary->optValue<std::string>("error", "");
        if (error.empty())
            unexpected_.add("transfer " + describe(t) + " exited with 1 and no error in its summary");
        if (error.find("onnection refused") != std::string::npos) ++counts_.queuedConnectionRefused;
    }

    void reap(Clock::time_point now) {
        for (auto it = inFlight_.begin(); it != inFlight_.end();) {
            if (auto code = it->process->waitExit(0ms)) {
                settle(*it, *code, now);
                it = inFlight_.erase(it);
            } else if (now - it->started > plan_.transferLimit) {
                unexpected_.add("transfer " + describe(*it) + " still running after " +
                                std::to_string(plan_.transferLimit.count()) + " s");
                it->process->killHard();
                ++failed_;
                it = inFlight_.erase(it);
            } else {
                ++it;
            }
        }
    }

    void killRegion() {
        counts_.settledAtKill = counts_.receipted + counts_.queued + failed_;
        counts_.killedAt = std::chrono::system_clock::now();
        kill_.region->killHard();
        restartAt_[kill_.region] = Clock::now() + plan_.regionDownFor;
        institutionKillAt_ = Clock::now() + plan_.institutionKillDelay;
        if (observers_.regionKilled) observers_.regionKilled();
    }

    // The instance is down: its gateway killed, and no transfer started on it until it is back.
    void killInstitution() {
        institutionKillAt_.reset();
        GatewayProcess& gateway = *institutions_[kill_.institution]->gateway;
        gateway.killHard();
        down_ = kill_.institution;
        institutionKilledAt_ = Clock::now();
        restartAt_[&gateway] = Clock::now() + plan_.institutionDownFor;
        if (observers_.institutionKilled) observers_.institutionKilled();
    }

    void restart(std::map<GatewayProcess*, Clock::time_point>::iterator& it) {
        if (down_ < institutions_.size() && it->first == institutions_[down_]->gateway.get()) {
            if (observers_.institutionRestarting) observers_.institutionRestarting();
            counts_.institutionDown =
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - institutionKilledAt_);
            down_ = SIZE_MAX;
        }
        it->first->start();
        ++counts_.restarts;
        it = restartAt_.erase(it);
    }

    // Killed gateways come back when due; one that died unasked is noted and started again.
    void revive(Clock::time_point now) {
        for (GatewayProcess* g : gateways_) {
            if (restartAt_.contains(g)) continue;
            if (auto code = g->diedOnItsOwn()) {
                unexpected_.add(g->label() + " gateway ended by itself with exit code " +
                                std::to_string(*code) + "\n" + g->describe(8));
                restartAt_[g] = now;
            }
        }
        for (auto it = restartAt_.begin(); it != restartAt_.end();) {
            if (now >= it->second) {
                restart(it);
            } else {
                ++it;
            }
        }
    }

    LoadPlan plan_;
    std::vector<GatewayInstance*> institutions_;
    std::vector<LoadJob> jobs_;
    KillTargets kill_;
    std::vector<GatewayProcess*> gateways_;
    fs::path logDir_;
    KillObservers observers_;
    std::optional<Clock::time_point> institutionKillAt_;
    Clock::time_point institutionKilledAt_{};
    std::size_t down_ = SIZE_MAX;  // the institution instance that is down, if any
    std::size_t nextInstance_ = 0;
    std::size_t nextJob_ = 0;
    std::vector<InFlight> inFlight_;
    std::map<GatewayProcess*, Clock::time_point> restartAt_;
    std::map<std::string, std::size_t> batches_;
    int failed_ = 0;
    LoadCounts counts_;
    Findings unexpected_{"transfers and gateways that ended or behaved in a way nobody asked for"};
};

}  // namespace passerelle::integration
