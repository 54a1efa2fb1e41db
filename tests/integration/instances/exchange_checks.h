#pragma once
// What must hold once issue 7's exchange is over, each check reading the databases
// (libpq, as their owner), the sink folders and the ledgers' rows, and returning what
// it found wrong (shared_database_test.cpp asserts that nothing was).

#include <regex>

#include "instances_fixture.h"
#include "transfer_load.h"

namespace passerelle::integration {

// What the test knows of the exchange it ran.
struct ExchangeFacts {
    const Deployment* institution = nullptr;
    const Deployment* region = nullptr;
    std::vector<LoadJob> jobs;
    std::map<std::string, std::size_t>
        sealedBy;                     // batch id -> the institution instance whose transfer sealed it
    std::vector<std::size_t> routes;  // institution instance -> the Region instance it sends to
    std::size_t killedRegion = 0;     // the Region instance that was killed
    std::string killTime;             // when (RFC 3339 UTC, one second late: the ledger's precision)
    std::set<std::string> resent;     // batches whose receipt was lost, sent again

    // The Region instance a batch was sent to; nullptr when no transfer named the batch.
    const GatewayInstance* receiverOf(const std::string& batch) const {
        const auto it = sealedBy.find(batch);
        return it == sealedBy.end() ? nullptr : &region->instances[routes[it->second]];
    }
    bool sentToKilledRegion(const std::string& batch) const {
        const auto it = sealedBy.find(batch);
        return it != sealedBy.end() && routes[it->second] == killedRegion;
    }
};

// The institution's outbox: each batch sealed by a transfer, receipted with its receipt
// kept, its files in the folder of the instance that sealed it, its export's record count.
inline Findings outboxFindings(const ExchangeFacts& facts, const std::map<std::string, QueueRow>& outbox) {
    Findings found("the institution's outbox");
    for (const auto& [id, r] : outbox) {
        if (r.status != "receipted" || !r.holdsReceipt) {
            found.add("batch " + id + " is " + r.status + (r.holdsReceipt ? "" : " without its receipt") +
                      " after " + r.attempts + " attempt(s); last error: " + r.error);
        }
        const auto by = facts.sealedBy.find(id);
        if (by == facts.sealedBy.end()) {
            found.add("batch " + id + " was named by no transfer");
        } else if (const GatewayInstance& sealer = facts.institution->instances[by->second];
                   r.filesFolderId != sealer.folderId()) {
            found.add("batch " + id + " sealed by " + sealer.label + " says its files are in folder '" +
                      r.filesFolderId + "'");
        }
        // r named again: clang 14 (the sanitized build) cannot capture a structured binding.
        const auto job = std::find_if(facts.jobs.begin(), facts.jobs.end(),
                                      [&, &r = r](const LoadJob& j) { return j.name == r.party; });
        if (job == facts.jobs.end() || r.recordCount != static_cast<std::uint64_t>(job->rows))
            found.add("batch " + id + " of job " + r.party + " seals " + std::to_string(r.recordCount) +
                      " records");
    }
    for (const auto& [id, n] : facts.sealedBy) {
        if (!outbox.contains(id)) found.add("batch " + id + ", named by its transfer, is not in the outbox");
    }
    return found;
}

// The sinks: each batch in exactly one (one file, one index line), that of the Region
// instance it was sent to, whole; nothing else there.
inline Findings sinkFindings(const ExchangeFacts& facts, const std::map<std::string, QueueRow>& outbox,
                             const std::vector<SinkView>& sinks) {
    Findings found("the Region's sinks");
    const std::vector<GatewayInstance>& regions = facts.region->instances;
    for (const auto& [id, r] : outbox) {
        int files = 0, indexLines = 0;
        const GatewayInstance* holder = nullptr;
        for (std::size_t s = 0; s < sinks.size(); ++s) {
            const auto it = sinks[s].batches.find(id);
            if (it == sinks[s].batches.end()) continue;
            const SinkBatch& b = it->second;
            files += b.files;
            indexLines += b.indexLines;
            holder = &regions[s];
            if (b.files > 0 && (b.fileRows != r.recordCount || b.indexedCount != r.recordCount))
                found.add("batch " + id + " in " + regions[s].label + ": " + std::to_string(b.fileRows) +
                          " rows in its file, " + std::to_string(b.indexedCount) + " in the index, " +
                          std::to_string(r.recordCount) + " sealed");
            if (b.files > 0 && b.sender != kMontpellier)
                found.add("batch " + id + " filed under sender " + b.sender);
        }
        const GatewayInstance* receiver = facts.receiverOf(id);
        if (files != 1 || indexLines != 1) {
            found.add("batch " + id + ": " + std::to_string(files) + " file(s), " +
                      std::to_string(indexLines) + " index line(s) across the sinks");
        } else if (receiver != nullptr && holder != receiver) {
            found.add("batch " + id + " sent to " + receiver->label + " is in the sink of " + holder->label);
        }
    }
    for (std::size_t s = 0; s < sinks.size(); ++s) {
        for (const auto& [id, b] : sinks[s].batches) {
            if (!outbox.contains(id))
                found.add("batch " + id + " in " + regions[s].label + " is in no outbox");
        }
        for (const std::string& stray : sinks[s].strays) found.add(regions[s].label + " stray: " + stray);
    }
    return found;
}

// The Region's inbox: exactly the outbox's batches, each once, as sealed, handed to the
// sink, its files in the folder of the Region instance it was sent to.
inline Findings inboxFindings(const ExchangeFacts& facts, const std::map<std::string, QueueRow>& outbox,
                              const std::vector<QueueRow>& inbox) {
    Findings found("the Region's inbox");
    std::set<std::string> ids;
    for (const QueueRow& r : inbox) {
        if (!ids.insert(r.batchId).second) found.add("batch " + r.batchId + " has two rows");
        const auto it = outbox.find(r.batchId);
        if (it == outbox.end()) {
            found.add("batch " + r.batchId + " is in no outbox");
            continue;
        }
        if (r.party != kMontpellier || r.recordCount != it->second.recordCount || !r.holdsReceipt)
            found.add("batch " + r.batchId + " stored as from " + r.party + " with " +
                      std::to_string(r.recordCount) + " records" + (r.holdsReceipt ? "" : ", no receipt"));
        if (r.status != "delivered")
            found.add("batch " + r.batchId + " is " + r.status + " (sink error: " + r.error + ")");
        const GatewayInstance* receiver = facts.receiverOf(r.batchId);
        if (receiver != nullptr && (r.filesFolderId != receiver->folderId() ||
                                    !fs::is_directory(receiver->stateDir / "inbox" / r.batchId)))
            found.add("batch " + r.batchId + " sent to " + receiver->label + " has its files in folder '" +
                      r.filesFolderId + "'");
    }
    for (const auto& [id, r] : outbox) {
        if (!ids.contains(id)) found.add("batch " + id + " is missing");
    }
    return found;
}

// A party's ledger as stored, and as recomputed here.
struct PartyLedger {
    const Deployment* party = nullptr;
    std::vector<LedgerRow> rows;
    Recomputation recomputed;
};

// Each batch's story in the two ledgers.
struct LedgerStories {
    Findings findings{"ledger entries per batch"};
    int receivedTwice = 0;   // a reception the kill cut after its ledger entry, received again
    int handedTwice = 0;     // a hand-off to the sink the kill cut after its ledger entry, made again
    int receiptedTwice = 0;  // besides the batches sent again on purpose
    std::map<std::string, int> failedDeliveries;  // reason (numbers and ids blotted out) -> count
};

// Sealed once and receipted at the institution; received once and handed to the sink once at
// the Region, across its instances. The Region writes its ledger entry first and its inbox
// row (or sink state) after: only a batch whose first reception (or hand-off) came before the
// Region instance's kill may tell it twice. A delivery may have failed only towards the killed
// Region instance (never, say, for want of a batch's files: an instance that took a batch
// whose files are in another's folder).
inline LedgerStories ledgerStories(const ExchangeFacts& facts, const std::map<std::string, QueueRow>& outbox,
                                   const PartyLedger& institution, const PartyLedger& region) {
    LedgerStories s;
    using Told = std::map<std::string, std::vector<std::string>>;  // "operation batch" -> entry times
    auto tell = [](const PartyLedger& l) {
        Told told;
        for (const LedgerRow& row : l.rows) {
            if (!row.batchId.empty()) told[row.operation + " " + row.batchId].push_back(row.time);
        }
        return told;
    };
    const Told atInstitution = tell(institution), atRegion = tell(region);
    auto times = [](const Told& told, const std::string& operation, const std::string& batch) {
        const auto it = told.find(operation + " " + batch);
        return it == told.end() ? std::vector<std::string>{} : it->second;
    };
    for (const auto& [id, r] : outbox) {
        const auto sealed = times(atInstitution, "batch-sealed", id);
        if (sealed.size() != 1)
            s.findings.add("batch " + id + ": " + std::to_string(sealed.size()) + " batch-sealed entries");
        const auto receipted = times(atInstitution, "batch-receipted", id);
        const bool resent = facts.resent.contains(id);
        if (receipted.empty() || (resent && receipted.size() != 2))
            s.findings.add("batch " + id + ": " + std::to_string(receipted.size()) +
                           " batch-receipted entries" +
                           (resent ? " (sent again after its receipt was lost: 2 expected)" : ""));
        s.receiptedTwice += receipted.size() > 1 && !resent ? 1 : 0;
        for (const std::string op : {"batch-received", "batch-handed-to-sink"}) {
            const auto t = times(atRegion, op, id);
            const bool cutByTheKill =
                t.size() == 2 && facts.sentToKilledRegion(id) && t.front() <= facts.killTime;
            if (t.size() != 1 && !cutByTheKill)
                s.findings.add("batch " + id + ": " + std::to_string(t.size()) + " " + op + " entries");
            if (t.size() == 2) (op == "batch-received" ? s.receivedTwice : s.handedTwice) += 1;
        }
    }
    for (const auto& [key, t] : atInstitution) {
        if (key.starts_with("batch-sealed ") && !outbox.contains(key.substr(13)))
            s.findings.add("sealed batch " + key.substr(13) + " is in no outbox");
    }
    for (const LedgerRow& row : institution.rows) {
        if (row.operation != "delivery-failed") continue;
        const std::string reason = row.parsed ? row.parsed->optValue<std::string>("reason", "") : "";
        ++s.failedDeliveries[std::regex_replace(
            std::regex_replace(reason, std::regex("[0-9a-f]{32}"), "<batch>"), std::regex("[0-9]+"), "N")];
        if (!facts.sentToKilledRegion(row.batchId))
            s.findings.add("batch " + row.batchId +
                           " failed a delivery to a Region instance that was up: " + reason);
    }
    return s;
}

// `audit verify`'s findings summed up: how many name a batch whose files are in another
// instance's state folder than the one audited, and the first few of them all.
inline std::string summariseAudit(const std::string& out, const std::map<std::string, std::string>& filesFolderId,
                                  const std::string& ownFolder) {
    static const std::regex finding(R"(^  (?:outbox|inbox) batch ([0-9a-f]+): )");
    std::size_t total = 0, elsewhere = 0;
    std::string first;
    for (const std::string& line : lines(out)) {
        std::smatch m;
        if (!std::regex_search(line, m, finding)) continue;
        ++total;
        const auto it = filesFolderId.find(m[1].str());
        if (it != filesFolderId.end() && !it->second.empty() && it->second != ownFolder) ++elsewhere;
        if (total <= 3) first += "\n" + line;
    }
    return std::to_string(total) + " batch finding(s), " + std::to_string(elsewhere) +
           " of them about a batch whose files are in another instance's state folder; the first:" + first +
           "\n" + out.substr(0, out.find("audit verify:"));
}

// The gateway role may append to the ledger, not rewrite or delete it; the tables are the owner's.
inline Findings roleFindings(const Deployment& d, const std::string& rootBefore) {
    Findings found(d.party + "'s database");
    const std::string rewrite = refusalOf(
        d.gatewayConninfo, "UPDATE ledger_entries SET leaf_hash = sha256('x'::bytea) WHERE idx = 1");
    if (rewrite.find("permission denied") == std::string::npos)
        found.add("the gateway role's UPDATE of a leaf hash: " + (rewrite.empty() ? "accepted" : rewrite));
    const std::string erase = refusalOf(d.gatewayConninfo, "DELETE FROM ledger_entries");
    if (erase.find("permission denied") == std::string::npos)
        found.add("the gateway role's DELETE: " + (erase.empty() ? "accepted" : erase));
    const auto owner = PostgresForTest::query(
        d.ownerConninfo, "SELECT tableowner FROM pg_tables WHERE tablename = 'ledger_entries'");
    const auto self = PostgresForTest::query(d.ownerConninfo, "SELECT current_user");
    if (owner.size() != 1 || owner[0][0] != self[0][0])
        found.add("ledger_entries does not belong to the database's owner");
    if (recomputeLedger(readLedgerRows(d.ownerConninfo)).root != rootBefore)
        found.add("the ledger changed after the refused statements");
    return found;
}

}  // namespace passerelle::integration
