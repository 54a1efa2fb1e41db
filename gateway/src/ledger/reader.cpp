#include "ledger/reader.h"

#include <algorithm>
#include <limits>

#include "common/encoding.h"
#include "common/errors.h"
#include "database/database.h"
#include "ledger/ledger_tables.h"
#include "ledger/merkle.h"
#include "ledger/storage.h"

using namespace passerelle::ledger::tables;

namespace passerelle::ledger {
namespace {

constexpr std::uint64_t kQueryChunk = 4096;

constexpr auto kMaxIndex = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

// One column (an SQL expression over the row) of entry `index`; nullopt when there is no such row.
std::optional<std::string> rowColumn(const LedgerStorage& storage, std::uint64_t index, const std::string& column) {
    const db::Rows rows = storage.reading("read", [&](db::Connection& c) {
        return c.query("SELECT " + column + " FROM ledger_entries WHERE idx = ?", {db::ColumnType::Bytes},
                       {std::min(index, kMaxIndex)});
    });
    if (rows.empty()) return std::nullopt;
    return std::string(rows.bytesAsText(0, 0));
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
    const db::Rows rows = storage_->reading("read", [&](db::Connection& c) {
        return c.query("SELECT idx, COALESCE(entry, " + emptyBytes(c.engine()) +
                           ") FROM ledger_entries WHERE idx >= ? ORDER BY idx LIMIT ?",
                       {db::ColumnType::Integer, db::ColumnType::Bytes},
                       {std::min(std::max<std::uint64_t>(fromIndex, 1), kMaxIndex), std::min(limit, kMaxIndex)});
    });
    result.reserve(rows.size());
    for (std::size_t row = 0; row < rows.size(); ++row) {
        const std::int64_t index = rows.integer(row, 0);
        const std::string where = "ledger " + name() + ", entry " + std::to_string(index);
        LedgerEntry entry;
        if (rows.bytes(row, 1).empty()) {
            // Purged by retention: only its hashes remain.
            entry.index = static_cast<std::uint64_t>(index);
            entry.operation = kBlankedEntryOperation;
            result.push_back(std::move(entry));
            continue;
        }
        try {
            entry = parseEntry(rows.bytesAsText(row, 1));
        } catch (const LedgerError& ex) {
            throw LedgerError(where + ": stored bytes are " + ex.what() + "; run `passerelle audit verify`");
        }
        if (static_cast<std::int64_t>(entry.index) != index) {
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
    return stored;
}

std::optional<Hash> LedgerReader::leafHashAt(std::uint64_t index) const {
    const auto stored = rowColumn(*storage_, index, "leaf_hash");
    if (!stored) return std::nullopt;
    return toHash(asBytes(*stored));
}

std::vector<Hash> LedgerReader::leafHashes(std::uint64_t count) const {
    std::vector<Hash> leaves;
    leaves.reserve(count);
    const db::Rows rows = storage_->reading("read", [&](db::Connection& c) {
        return c.query("SELECT leaf_hash FROM ledger_entries ORDER BY idx LIMIT ?", {db::ColumnType::Bytes},
                       {std::min(count, kMaxIndex)});
    });
    for (std::size_t row = 0; row < rows.size(); ++row) leaves.push_back(toHash(rows.bytes(row, 0)));
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
    const db::Rows root = storage_->reading("read", [&](db::Connection& c) {
        return c.query("SELECT root_hash FROM ledger_entries ORDER BY idx DESC LIMIT 1", {db::ColumnType::Bytes});
    });
    return root.empty() ? merkle::emptyRoot() : toHash(root.bytes(0, 0));
}

std::uint64_t LedgerReader::size() const {
    const std::int64_t newest = storage_->reading(
        "read", [&](db::Connection& c) { return c.integer("SELECT COALESCE(MAX(idx), 0) FROM ledger_entries"); });
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
