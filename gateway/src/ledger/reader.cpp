#include "ledger/reader.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>

#include <algorithm>
#include <limits>

#include "common/errors.h"
#include "database/database.h"
#include "ledger/ledger_tables.h"
#include "ledger/merkle.h"
#include "ledger/storage.h"

using namespace Poco::Data::Keywords;
using namespace passerelle::ledger::tables;

namespace passerelle::ledger {
namespace {

constexpr std::uint64_t kQueryChunk = 4096;

// One column (an SQL expression over the row) of entry `index`; nullopt when there is no such row.
std::optional<BLOB> rowColumn(const LedgerStorage& storage, std::uint64_t index, const std::string& column) {
    std::vector<BLOB> stored;
    Poco::Int64 idx =
        static_cast<Poco::Int64>(std::min<std::uint64_t>(index, std::numeric_limits<Poco::Int64>::max()));
    storage.reading("read", [&](Session& session) {
        session << storage.db().sql("SELECT " + column + " FROM ledger_entries WHERE idx = ?"), use(idx),
            into(stored), now;
    });
    if (stored.empty()) return std::nullopt;
    return stored.front();
}

bool matches(const EntryFilter& filter, const LedgerEntry& e) {
    if (!filter.purpose.empty() && e.purpose != filter.purpose) return false;
    if (!filter.counterpart.empty() && e.counterpart != filter.counterpart) return false;
    if (!filter.operation.empty() && e.operation != filter.operation) return false;
    if (!filter.batchId.empty() && e.batchId != filter.batchId) return false;
    // A bound compares on its own length, so "2026-11-29" as `to` takes the whole day.
    if (!filter.from.empty() && e.time.compare(0, filter.from.size(), filter.from) < 0) return false;
    if (!filter.to.empty() && e.time.compare(0, filter.to.size(), filter.to) > 0) return false;
    return true;
}

// Every checkpoint of `table`; LedgerError naming the ledger (and `whose`) when one is malformed.
std::vector<Checkpoint> heldCheckpoints(const LedgerStorage& storage, const std::string& table, const char* whose) {
    std::string problem;
    auto out = storage.reading("read", [&](db::Connection& c) { return readCheckpoints(c, table, problem); });
    if (!problem.empty()) throw LedgerError("ledger " + storage.name() + ": " + whose + problem);
    return out;
}

}  // namespace

LedgerReader::LedgerReader(std::shared_ptr<const LedgerStorage> storage) : storage_(std::move(storage)) {}

const std::string& LedgerReader::name() const { return storage_->name(); }

std::vector<LedgerEntry> LedgerReader::entries(std::uint64_t fromIndex, std::uint64_t limit) const {
    std::vector<LedgerEntry> result;
    if (limit == 0) return result;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<Poco::Int64>::max());
    Poco::Int64 from = static_cast<Poco::Int64>(std::min(std::max<std::uint64_t>(fromIndex, 1), kMax));
    Poco::Int64 count = static_cast<Poco::Int64>(std::min(limit, kMax));
    std::vector<Poco::Int64> indices;
    std::vector<BLOB> stored;
    const db::Database& db = storage_->db();
    storage_->reading("read", [&](Session& session) {
        session << db.sql("SELECT idx, COALESCE(entry, " + emptyBytes(db.engine()) +
                          ") FROM ledger_entries WHERE idx >= ? ORDER BY idx LIMIT ?"),
            use(from), use(count), into(indices), into(stored), now;
    });
    result.reserve(indices.size());
    for (std::size_t row = 0; row < indices.size(); ++row) {
        const std::string where = "ledger " + name() + ", entry " + std::to_string(indices[row]);
        LedgerEntry entry;
        if (stored[row].size() == 0) {
            // Purged by retention: only its hashes remain.
            entry.index = static_cast<std::uint64_t>(indices[row]);
            entry.operation = kBlankedEntryOperation;
            result.push_back(std::move(entry));
            continue;
        }
        try {
            entry = parseEntry(view(stored[row]));
        } catch (const LedgerError& ex) {
            throw LedgerError(where + ": stored bytes are " + ex.what() + "; run `passerelle audit verify`");
        }
        if (static_cast<Poco::Int64>(entry.index) != indices[row]) {
            throw LedgerError(where + ": content names another index; run `passerelle audit verify`");
        }
        result.push_back(std::move(entry));
    }
    return result;
}

std::vector<LedgerEntry> LedgerReader::query(const EntryFilter& filter) const {
    std::vector<LedgerEntry> out;
    for (std::uint64_t from = 1;;) {
        auto chunk = entries(from, kQueryChunk);
        if (chunk.empty()) break;
        from = chunk.back().index + 1;
        for (LedgerEntry& e : chunk) {
            if (matches(filter, e)) out.push_back(std::move(e));
        }
        if (chunk.size() < kQueryChunk) break;
    }
    return out;
}

std::optional<LedgerEntry> LedgerReader::entry(std::uint64_t index) const {
    if (index == 0) return std::nullopt;
    auto found = entries(index, 1);
    if (found.empty() || found.front().index != index) return std::nullopt;
    return found.front();
}

std::optional<std::string> LedgerReader::entryBytes(std::uint64_t index) const {
    const auto stored = rowColumn(*storage_, index, "COALESCE(entry, " + emptyBytes(storage_->db().engine()) + ")");
    if (!stored) return std::nullopt;
    return std::string(view(*stored));
}

std::optional<Hash> LedgerReader::leafHashAt(std::uint64_t index) const {
    const auto stored = rowColumn(*storage_, index, "leaf_hash");
    if (!stored) return std::nullopt;
    return toHash(*stored);
}

std::vector<Hash> LedgerReader::leafHashes(std::uint64_t count) const {
    std::vector<Hash> leaves;
    leaves.reserve(count);
    Poco::Int64 limit = static_cast<Poco::Int64>(count);
    std::vector<BLOB> stored;
    storage_->reading("read", [&](Session& session) {
        session << storage_->db().sql("SELECT leaf_hash FROM ledger_entries ORDER BY idx LIMIT ?"), use(limit),
            into(stored), now;
    });
    for (const BLOB& b : stored) leaves.push_back(toHash(b));
    if (leaves.size() != count) {
        throw LedgerError("ledger " + name() + " holds " + std::to_string(leaves.size()) +
                          " entries, fewer than the " + std::to_string(count) + " asked for");
    }
    return leaves;
}

InclusionProof LedgerReader::inclusionProof(std::uint64_t index, std::uint64_t treeSize) const {
    if (index == 0 || index > treeSize) {
        throw LedgerError("entry " + std::to_string(index) + " is not in a tree of " +
                          std::to_string(treeSize) + " entries");
    }
    const std::vector<Hash> leaves = leafHashes(treeSize);
    InclusionProof proof;
    proof.index = index;
    proof.treeSize = treeSize;
    proof.leafHash = leaves[index - 1];
    proof.path = merkle::inclusionProof(leaves, index - 1);
    proof.rootHash = merkle::rootOf(leaves);
    return proof;
}

std::vector<Hash> LedgerReader::consistencyProof(std::uint64_t oldSize, std::uint64_t newSize) const {
    if (oldSize == 0 || oldSize > newSize) {
        throw LedgerError("no consistency proof from " + std::to_string(oldSize) + " to " +
                          std::to_string(newSize) + " entries");
    }
    return merkle::consistencyProof(leafHashes(newSize), oldSize);
}

Hash LedgerReader::rootHash() const {
    std::vector<BLOB> root;
    storage_->reading("read", [&](Session& session) {
        session << "SELECT root_hash FROM ledger_entries ORDER BY idx DESC LIMIT 1", into(root), now;
    });
    return root.empty() ? merkle::emptyRoot() : toHash(root.front());
}

std::uint64_t LedgerReader::size() const {
    Poco::Int64 newest = 0;
    storage_->reading("read", [&](Session& session) {
        session << "SELECT COALESCE(MAX(idx), 0) FROM ledger_entries", into(newest), now;
    });
    return newest < 0 ? 0 : static_cast<std::uint64_t>(newest);
}

std::vector<Checkpoint> LedgerReader::checkpoints() const {
    return heldCheckpoints(*storage_, "ledger_checkpoints", "");
}

std::optional<Checkpoint> LedgerReader::latestCheckpoint() const {
    return storage_->reading("read", [&](db::Connection& c) {
        try {
            return newestCheckpoint(c);
        } catch (const LedgerError& ex) {
            throw LedgerError("ledger " + name() + ": " + ex.what());
        }
    });
}

std::uint64_t LedgerReader::uncheckpointed() const {
    const auto latest = latestCheckpoint();
    const std::uint64_t entries = size();
    if (!latest) return entries;
    return latest->treeSize <= entries ? entries - latest->treeSize : 0;
}

std::vector<Checkpoint> LedgerReader::peerCheckpoints() const {
    return heldCheckpoints(*storage_, "peer_checkpoints", "counterpart ");
}

}  // namespace passerelle::ledger
