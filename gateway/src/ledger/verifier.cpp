#include "ledger/verifier.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <span>
#include <vector>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "database/database.h"
#include "ledger/entry.h"
#include "ledger/leaf_hash.h"
#include "ledger/ledger_tables.h"
#include "ledger/merkle.h"
#include "ledger/purge_record.h"
#include "ledger/storage.h"

using namespace passerelle::ledger::tables;

namespace passerelle::ledger {
namespace {

constexpr std::uint64_t kVerifyChunk = 1024;

using ByteView = std::span<const std::uint8_t>;


// One pass of `audit verify` over the ledger (LedgerVerifier::verify): the own checkpoints'
// signatures, then each stored row in order (index, bytes, leaf hash, tree root, and
// the checkpoints signed at that size), what retention blanked, and the
// counterparts' checkpoints. The first problem found is the one reported.
class ChainCheck {
public:
    ChainCheck(const KeyResolver& keys, LedgerVerifier::Verification& result) : keys_(keys), result_(result) {}

    void ownCheckpoints(std::vector<Checkpoint> own);
    // False once the walk must stop (the row is at fault).
    bool row(std::int64_t index, ByteView stored, ByteView storedLeaf, ByteView storedRoot);
    void endOfRows();
    void peerCheckpoints(const std::vector<Checkpoint>& peers);
    bool intact() const { return result_.intact; }
    std::string rootHex() const { return toHex(tree_.root()); }

    void fail(std::optional<std::uint64_t> index, const std::string& problem) {
        if (!result_.intact) return;
        result_.intact = false;
        result_.firstBadIndex = index;
        result_.problem = problem;
    }

private:
    // A run of blanked entries waiting for the ledger-purged entry that covers it.
    struct BlankRun {
        std::uint64_t first = 0, last = 0;
        std::string after;  // time of the newest entry before the run with its bytes: a lower bound of the run's times
    };

    bool blankedRow(const std::string& name, ByteView storedLeaf, Hash& leaf);
    bool keptRow(const std::string& name, std::string_view bytes, ByteView storedLeaf, Hash& leaf);
    void account(const LedgerEntry& purge);

    const KeyResolver& keys_;
    LedgerVerifier::Verification& result_;
    merkle::CompactTree tree_;
    std::vector<Checkpoint> own_;
    std::size_t nextCheckpoint_ = 0;
    std::uint64_t expected_ = 1;
    // Blanked entries must be what retention blanks: the oldest entries it does not keep,
    // each accounted for by a later ledger-purged entry. Runs of blanked entries wait
    // here for the purge entry that covers them; one still waiting at the end was
    // blanked by someone else (its hashes stay, so nothing else would notice).
    std::vector<BlankRun> unaccounted_;
    std::string newestTime_;                       // of the entries read so far with their bytes
    std::optional<std::uint64_t> firstKeptBytes_;  // first entry retention would blank that still has its bytes
};

// Each own checkpoint: signed by one of our keys, sizes never going back.
void ChainCheck::ownCheckpoints(std::vector<Checkpoint> own) {
    own_ = std::move(own);
    std::uint64_t previousSize = 0;
    for (std::size_t i = 0; i < own_.size(); ++i) {
        const Checkpoint& c = own_[i];
        const std::string name =
            "checkpoint " + std::to_string(i + 1) + " (tree_size " + std::to_string(c.treeSize) + ")";
        const auto key = keys_(c.origin, c.keyId, c.time);
        if (!key) {
            fail(std::nullopt, name + ": " +
                                   (key.refusal.empty() ? "signed with key " + c.keyId +
                                                              ", which is not one of this party's keys"
                                                        : key.refusal));
        } else if (!c.signatureVerifies(*key)) {
            fail(std::nullopt, name + ": its signature does not verify (forged or altered)");
        } else if (c.treeSize < previousSize) {
            fail(std::nullopt, name + ": covers fewer entries than the checkpoint before it");
        }
        previousSize = c.treeSize;
    }
    while (nextCheckpoint_ < own_.size() && own_[nextCheckpoint_].treeSize == 0) ++nextCheckpoint_;
}

void ChainCheck::account(const LedgerEntry& purge) {
    const auto record = parsePurgeReason(purge.reason);
    if (!record) return;
    if (record->throughIndex > 0) {
        // Written with the index it covers: every blanked entry up to it is accounted for.
        std::erase_if(unaccounted_, [&](const BlankRun& r) { return r.last <= record->throughIndex; });
        for (BlankRun& r : unaccounted_) r.first = std::max(r.first, record->throughIndex + 1);
        return;
    }
    // An earlier purge entry says only its retention: a run is accounted for unless an
    // entry before it is already younger than that retention's cutoff.
    const auto at = parseUtc(purge.time);
    if (!at) return;
    const std::string cutoff = formatUtc(*at - std::chrono::hours(24) * record->days);
    std::erase_if(unaccounted_, [&](const BlankRun& r) { return r.after < cutoff; });
}

// Purged by retention: the stored leaf hash stands in for the bytes.
bool ChainCheck::blankedRow(const std::string& name, ByteView storedLeaf, Hash& leaf) {
    leaf = toHash(storedLeaf);
    if (firstKeptBytes_) {
        fail(expected_, name + ": its bytes are gone but entry " + std::to_string(*firstKeptBytes_) +
                            ", older, still has its own: retention blanks the oldest entries first, "
                            "so this one was blanked outside retention");
        return false;
    }
    if (!unaccounted_.empty() && unaccounted_.back().last + 1 == expected_) {
        unaccounted_.back().last = expected_;
    } else {
        unaccounted_.push_back({expected_, expected_, newestTime_});
    }
    return true;
}

bool ChainCheck::keptRow(const std::string& name, std::string_view bytes, ByteView storedLeaf, Hash& leaf) {
    leaf = leafHash(bytes);
    LedgerEntry parsed;
    try {
        parsed = parseEntry(bytes);
        if (parsed.index != expected_) {
            fail(expected_, name + ": its content says it is another entry (moved or reordered)");
            return false;
        }
    } catch (const LedgerError& ex) {
        fail(expected_, name + ": stored bytes are " + ex.what());
        return false;
    }
    if (!sameHash(storedLeaf, leaf)) {
        fail(expected_, name + ": stored leaf hash does not match its bytes (altered)");
        return false;
    }
    if (!firstKeptBytes_ && !keptByRetention(parsed)) firstKeptBytes_ = expected_;
    if (parsed.is(Operation::LedgerPurged)) account(parsed);
    newestTime_ = std::max(newestTime_, parsed.time);
    return true;
}

bool ChainCheck::row(std::int64_t index, ByteView stored, ByteView storedLeaf, ByteView storedRoot) {
    const std::string name = "entry " + std::to_string(expected_);
    if (index < 1 || static_cast<std::uint64_t>(index) != expected_) {
        fail(expected_, name + ": missing (the next stored row is " + std::to_string(index) +
                            "; deleted or reordered)");
        return false;
    }
    Hash leaf{};
    const bool fine = stored.size() == 0 ? blankedRow(name, storedLeaf, leaf)
                                         : keptRow(name, std::string_view(reinterpret_cast<const char*>(stored.data()), stored.size()), storedLeaf, leaf);
    if (!fine) return false;
    tree_.append(leaf);
    if (!sameHash(storedRoot, tree_.root())) {
        fail(expected_, name + ": stored tree root does not match the entries up to it (altered)");
        return false;
    }
    while (nextCheckpoint_ < own_.size() && own_[nextCheckpoint_].treeSize == expected_) {
        if (own_[nextCheckpoint_].rootHash != tree_.root()) {
            fail(expected_, "checkpoint " + std::to_string(nextCheckpoint_ + 1) + " (tree_size " +
                                std::to_string(expected_) +
                                ") does not match the entries up to it: one of entries 1-" +
                                std::to_string(expected_) + " was rewritten with its hashes");
        }
        ++result_.checkpoints;
        ++nextCheckpoint_;
    }
    ++expected_;
    return true;
}

void ChainCheck::endOfRows() {
    if (result_.intact && !unaccounted_.empty()) {
        const BlankRun& r = unaccounted_.front();
        fail(r.first, "entry " + std::to_string(r.first) +
                          (r.last > r.first ? " (and up to entry " + std::to_string(r.last) + ")" : "") +
                          ": its bytes are gone, and no ledger-purged entry accounts for them (blanked outside "
                          "retention, or before its retention ran out); its hashes still verify");
    }
    if (result_.intact && nextCheckpoint_ < own_.size()) {
        const Checkpoint& c = own_[nextCheckpoint_];
        fail(expected_, "entry " + std::to_string(expected_) + ": missing — checkpoint " +
                            std::to_string(nextCheckpoint_ + 1) + " was signed over " +
                            std::to_string(c.treeSize) + " entries but only " + std::to_string(expected_ - 1) +
                            " remain (truncated)");
    }
}

// Counterparts' checkpoints: their signatures.
void ChainCheck::peerCheckpoints(const std::vector<Checkpoint>& peers) {
    for (std::size_t i = 0; i < peers.size(); ++i) {
        const Checkpoint& c = peers[i];
        const std::string name = "counterpart checkpoint " + std::to_string(i + 1) + " (" + c.origin +
                                 ", tree_size " + std::to_string(c.treeSize) + ")";
        const auto key = keys_(c.origin, c.keyId, c.time);
        if (!key) {
            fail(std::nullopt, name + ": " +
                                   (key.refusal.empty()
                                        ? "signed with key " + c.keyId + ", not a key of " + c.origin + " this gateway knows"
                                        : key.refusal));
        } else if (!c.signatureVerifies(*key)) {
            fail(std::nullopt, name + ": its signature does not verify (forged or altered)");
        } else {
            ++result_.peerCheckpoints;
        }
    }
}

// One pass over the ledger in the read snapshot `c` is in.
LedgerVerifier::Verification verifyIn(db::Connection& c, const KeyResolver& keys) {
    LedgerVerifier::Verification result;
    ChainCheck check(keys, result);
    std::string malformed;
    std::vector<Checkpoint> own = readCheckpoints(c, "ledger_checkpoints", malformed);
    if (!malformed.empty()) check.fail(std::nullopt, malformed);
    check.ownCheckpoints(std::move(own));

    std::int64_t after = std::numeric_limits<std::int64_t>::min();
    const std::string sql = "SELECT idx, COALESCE(entry, " + emptyBytes(c.engine()) +
                            "), leaf_hash, root_hash FROM ledger_entries WHERE idx > ? ORDER BY idx LIMIT ?";
    for (;;) {
        const db::Rows rows = c.query(
            sql, {db::ColumnType::Integer, db::ColumnType::Bytes, db::ColumnType::Bytes, db::ColumnType::Bytes},
            {after, kVerifyChunk});
        if (rows.empty()) break;
        after = rows.integer(rows.size() - 1, 0);
        result.entries += rows.size();
        for (std::size_t row = 0; row < rows.size() && check.intact(); ++row) {
            if (!check.row(rows.integer(row, 0), rows.bytes(row, 1), rows.bytes(row, 2), rows.bytes(row, 3))) break;
        }
    }
    check.endOfRows();
    const std::vector<Checkpoint> peers = readCheckpoints(c, "peer_checkpoints", malformed);
    if (!malformed.empty()) check.fail(std::nullopt, "counterpart " + malformed);
    check.peerCheckpoints(peers);
    result.rootHash = check.rootHex();
    return result;
}

}  // namespace

LedgerVerifier::LedgerVerifier(std::shared_ptr<const LedgerStorage> storage) : storage_(std::move(storage)) {}

LedgerVerifier::Verification LedgerVerifier::verify(const KeyResolver& keys) const {
    // Own connection and read snapshot: appends go on meanwhile, and nothing
    // cached by this object is trusted.
    db::Database& db = storage_->db();
    if (!db.postgres()) {
        // SQLite would create the file it is asked to read.
        if (std::error_code ec; !std::filesystem::is_regular_file(db.location().target, ec)) {
            throw LedgerError("cannot verify ledger " + storage_->name() + ": the file is missing");
        }
    }
    try {
        return db.readSnapshot([&](db::Connection& c) { return verifyIn(c, keys); });
    } catch (const db::DatabaseError& ex) {
        throw LedgerError("cannot verify ledger " + storage_->name() + ": " + ex.what());
    }
}

}  // namespace passerelle::ledger
