#pragma once
// The storm itself: transfers launched without pause, and the Region's gateway,
// the institutions' gateways and transfers in flight killed with SIGKILL at
// moments a seeded PRNG picks, the gateways started again after a short pause.
// It keeps count of what it did and of every process that ended unasked; what
// must hold afterwards is the test's business (kill_storm_test.cpp).

#include <random>

#include "fault_fixture.h"

namespace passerelle::integration {

// A job of the storm: its own small export, so batches differ in size and content.
struct StormJob {
    std::string name;
    std::string purpose;
    int rows = 0;
};

struct StormParty {
    Institution inst;
    std::vector<StormJob> jobs;
    std::unique_ptr<GatewayProcess> gateway;
    std::set<std::string> reportedBatches;  // batch ids printed by its transfers
};

struct StormTargets {
    int batches = 200;      // in the outboxes, all parties together
    int gatewayKills = 30;  // the Region's and the institutions'
    int transferKills = 5;
    std::size_t parallelTransfers = 3;
    std::chrono::seconds limit{170};         // to reach the targets; a slower machine fails, saying so
    std::chrono::seconds transferLimit{60};  // a transfer running longer hangs
};

struct StormCounts {
    int batches = 0;  // in the outboxes when the storm ended
    int launched = 0;
    int receipted = 0;  // transfers that exited 0
    int queued = 0;     // exited 1, their batch left in the outbox
    int transferKills = 0;
    int regionKills = 0;
    int institutionKills = 0;
    int gatewayRestarts = 0;
    int gatewayKills() const { return regionKills + institutionKills; }
};

class KillStorm {
public:
    using Clock = std::chrono::steady_clock;

    KillStorm(unsigned seed, StormTargets targets, GatewayProcess& region, std::vector<StormParty>& parties,
              fs::path logDir)
        : rng_(seed), targets_(targets), region_(region), parties_(parties), logDir_(std::move(logDir)) {
        gateways_.push_back(&region_);
        for (StormParty& p : parties_) gateways_.push_back(p.gateway.get());
    }

    const StormCounts& counts() const { return counts_; }
    Findings& unexpected() { return unexpected_; }

    // Storms until the targets are met or the time limit passes; true when met.
    bool run() {
        const Clock::time_point start = Clock::now();
        Clock::time_point nextKill = start + std::chrono::milliseconds(uniform(300, 1500));
        Clock::time_point nextCount = start;
        while (Clock::now() - start < targets_.limit) {
            const Clock::time_point now = Clock::now();
            reapTransfers(now);
            reviveGateways(now);
            if (now >= nextCount) {
                if (const int n = countBatches(); n >= 0) counts_.batches = n;
                nextCount = now + 1s;
            }
            if (targetsMet()) return true;
            while (transfers_.size() < targets_.parallelTransfers) launchTransfer();
            if (now >= nextKill) {
                killSomething();
                nextKill = Clock::now() + std::chrono::milliseconds(uniform(500, 2000));
            }
            std::this_thread::sleep_for(20ms);
        }
        return targetsMet();
    }

    // No more kills: every gateway started again, the transfers in flight left to finish.
    void calm() {
        for (auto& [gateway, when] : restartAt_) {
            gateway->start();
            ++counts_.gatewayRestarts;
        }
        restartAt_.clear();
        for (InFlightTransfer& t : transfers_) {
            if (auto code = t.process->waitExit(targets_.transferLimit)) {
                settle(t, *code);
            } else {
                unexpected_.add("transfer " + describe(t) + " hung after the storm");
                t.process->killHard();
            }
        }
        transfers_.clear();
    }

    std::string describeTargets() const {
        return std::to_string(counts_.batches) + " of " + std::to_string(targets_.batches) + " batches, " +
               std::to_string(counts_.gatewayKills()) + " of " + std::to_string(targets_.gatewayKills) +
               " gateway kills, " + std::to_string(counts_.transferKills) + " of " +
               std::to_string(targets_.transferKills) + " transfer kills";
    }

private:
    struct InFlightTransfer {
        std::unique_ptr<ChildProcess> process;
        std::size_t party = 0;
        std::string job;
        Clock::time_point started;
        bool killed = false;
    };

    int uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }

    bool targetsMet() const {
        return counts_.batches >= targets_.batches && counts_.gatewayKills() >= targets_.gatewayKills &&
               counts_.transferKills >= targets_.transferKills;
    }

    std::string describe(const InFlightTransfer& t) const {
        return parties_[t.party].inst.party + " " + t.job + " (" + t.process->errFile() + ")";
    }

    int countBatches() const {
        int total = 0;
        for (const StormParty& p : parties_) {
            const auto rows = queryState(p.inst.stateDir() / "state.db", "SELECT count(*) AS n FROM outbox");
            if (!rows || rows->empty()) return -1;  // busy: ask again later
            total += std::stoi(rows->front().at("n"));
        }
        return total;
    }

    // One run of a job at a time: a second one is refused while the first runs.
    void launchTransfer() {
        std::vector<std::pair<std::size_t, std::string>> idle;
        for (std::size_t p = 0; p < parties_.size(); ++p) {
            for (const StormJob& j : parties_[p].jobs) {
                const bool busy =
                    std::any_of(transfers_.begin(), transfers_.end(),
                                [&](const InFlightTransfer& t) { return t.party == p && t.job == j.name; });
                if (!busy) idle.emplace_back(p, j.name);
            }
        }
        InFlightTransfer t;
        std::tie(t.party, t.job) =
            idle[static_cast<std::size_t>(uniform(0, static_cast<int>(idle.size()) - 1))];
        const Institution& inst = parties_[t.party].inst;
        ++counts_.launched;
        t.process = std::make_unique<ChildProcess>(
            std::vector<std::string>{kPasserelle.string(), "transfer", "--config", inst.config.string(),
                                     "--job", t.job, "--json"},
            logDir_ / (inst.party + ".transfer" + std::to_string(counts_.launched)));
        t.started = Clock::now();
        transfers_.push_back(std::move(t));
    }

    // A transfer that ended: its exit code and, when it ran to the end, its summary.
    void settle(InFlightTransfer& t, int code) {
        if (t.killed && code == 128 + SIGKILL) return;
        if (code != 0 && code != 1) {
            unexpected_.add("transfer " + describe(t) + " exited with " + std::to_string(code) + ":\n" +
                            logTail(t.process->errFile(), 6));
            return;
        }
        Poco::JSON::Object::Ptr summary;
        try {
            summary = Poco::JSON::Parser().parse(t.process->out()).extract<Poco::JSON::Object::Ptr>();
        } catch (const Poco::Exception&) {
        }
        const std::string batch = summary ? summary->optValue<std::string>("batch_id", "") : "";
        if (batch.empty()) {
            unexpected_.add("transfer " + describe(t) + " exited with " + std::to_string(code) +
                            " without naming its batch:\n" + logTail(t.process->errFile(), 6));
            return;
        }
        parties_[t.party].reportedBatches.insert(batch);
        if (code == 0) {
            ++counts_.receipted;
        } else {
            ++counts_.queued;
            if (summary->optValue<std::string>("error", "").empty())
                unexpected_.add("transfer " + describe(t) + " exited with 1 and no error in its summary");
        }
    }

    void reapTransfers(Clock::time_point now) {
        for (auto it = transfers_.begin(); it != transfers_.end();) {
            if (auto code = it->process->waitExit(0ms)) {
                settle(*it, *code);
                it = transfers_.erase(it);
            } else if (now - it->started > targets_.transferLimit) {
                unexpected_.add("transfer " + describe(*it) + " still running after " +
                                std::to_string(targets_.transferLimit.count()) + " s");
                it->killed = true;
                it->process->killHard();
                it = transfers_.erase(it);
            } else {
                ++it;
            }
        }
    }

    // Gateways that died unasked are noted and started again; killed ones come back when due.
    void reviveGateways(Clock::time_point now) {
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
                it->first->start();
                ++counts_.gatewayRestarts;
                it = restartAt_.erase(it);
            } else {
                ++it;
            }
        }
    }

    // About a third of the kills hit the Region, a third an institution's gateway, a third a transfer.
    void killSomething() {
        const int roll = uniform(0, 99);
        GatewayProcess* victim = nullptr;
        if (roll < 35 && !restartAt_.contains(&region_)) {
            victim = &region_;
        } else if (roll < 70) {
            std::vector<GatewayProcess*> up;
            for (StormParty& p : parties_) {
                if (!restartAt_.contains(p.gateway.get())) up.push_back(p.gateway.get());
            }
            if (!up.empty())
                victim = up[static_cast<std::size_t>(uniform(0, static_cast<int>(up.size()) - 1))];
        }
        if (victim == nullptr) {
            if (transfers_.empty()) return;
            InFlightTransfer& t =
                transfers_[static_cast<std::size_t>(uniform(0, static_cast<int>(transfers_.size()) - 1))];
            if (t.process->running()) {
                t.killed = true;
                t.process->killHard();
                ++counts_.transferKills;
            }
            return;
        }
        victim->killHard();
        (victim == &region_ ? counts_.regionKills : counts_.institutionKills) += 1;
        const int pause = victim == &region_ ? uniform(200, 2000) : uniform(100, 1500);
        restartAt_[victim] = Clock::now() + std::chrono::milliseconds(pause);
    }

    std::mt19937 rng_;
    StormTargets targets_;
    GatewayProcess& region_;
    std::vector<StormParty>& parties_;
    fs::path logDir_;
    std::vector<GatewayProcess*> gateways_;
    std::map<GatewayProcess*, Clock::time_point> restartAt_;
    std::vector<InFlightTransfer> transfers_;
    StormCounts counts_;
    Findings unexpected_{"processes that ended or behaved in a way nobody asked for"};
};

}  // namespace passerelle::integration
