#include "ledger/appender.h"

#include <algorithm>
#include <vector>

#include "common/encoding.h"
#include "common/errors.h"
#include "database/database.h"
#include "ledger/ledger_tables.h"
#include "ledger/merkle.h"
#include "ledger/purge_record.h"
#include "ledger/storage.h"

using namespace passerelle::ledger::tables;

namespace passerelle::ledger {
namespace {

constexpr std::size_t kBlankPerStatement = 500;
constexpr std::uint64_t kRetentionWalkChunk = 4096;

}  // namespace

LedgerAppender::LedgerAppender(std::shared_ptr<const LedgerStorage> storage)
    : storage_(std::move(storage)), reader_(storage_), appendedHere_(storage_->appendedAtOpen()) {}

std::uint64_t LedgerAppender::append(LedgerEntry entry) {
    const std::string& name = storage_->name();
    if (entry.actor.empty() || entry.operation.empty()) {
        throw LedgerError("cannot append to ledger " + name + ": an entry needs an actor and an operation");
    }
    entry.time = formatUtc(storage_->clock().now());
    try {
        // Refuses bad UTF-8 before the transaction; only the index changes below.
        (void)canonicalBytes(entry);
    } catch (const LedgerError& ex) {
        throw LedgerError("cannot append to ledger " + name + ": " + ex.what());
    }
    db::Database& db = storage_->db();
    try {
        db.transaction([&](db::Connection& c) { appendRow(c, entry); });
    } catch (const db::DatabaseError& ex) {
        throw LedgerError("cannot append to ledger " + name + ": " + ex.what());
    } catch (const LedgerError& ex) {
        throw LedgerError("cannot append to ledger " + name + ": " + ex.what());
    }
    bool checkpointDue = false;
    {
        std::lock_guard lock(mutex_);
        checkpointDue = signer_ && checkpointEvery_ > 0;
    }
    ++appendedHere_;
    if (checkpointDue && reader_.uncheckpointed() >= checkpointEvery_) checkpoint();
    return entry.index;
}

void LedgerAppender::setCheckpointSigner(std::string origin, std::string keyId, Signer signer,
                                         std::uint64_t everyEntries) {
    std::lock_guard lock(mutex_);
    origin_ = std::move(origin);
    keyId_ = std::move(keyId);
    signer_ = std::move(signer);
    checkpointEvery_ = everyEntries;
}

Checkpoint LedgerAppender::checkpoint() {
    std::lock_guard lock(mutex_);
    const std::string& name = storage_->name();
    if (!signer_) throw LedgerError("ledger " + name + ": no key to sign checkpoints with");
    Checkpoint made;
    db::Database& db = storage_->db();
    try {
        db.transaction([&](db::Connection& c) {
            // Locked like an append: no entry lands between reading the tree and
            // storing its checkpoint, and checkpoints are stored in tree order.
            const merkle::CompactTree tree = storedTree(c, true);
            const auto newest = newestCheckpoint(c);
            if (newest && newest->treeSize == tree.size() && newest->rootHash == tree.root()) {
                made = *newest;
                return;
            }
            if (newest && newest->treeSize > tree.size()) {
                throw LedgerError("it holds fewer entries (" + std::to_string(tree.size()) +
                                  ") than its last checkpoint signed (" + std::to_string(newest->treeSize) +
                                  "); run `passerelle audit verify`");
            }
            made.origin = origin_;
            made.treeSize = tree.size();
            made.rootHash = tree.root();
            made.time = formatUtc(storage_->clock().now());
            made.keyId = keyId_;
            const std::string bytes = made.signedBytes();
            made.signature = signer_(asBytes(bytes));
            c.execute("INSERT INTO ledger_checkpoints (signed, signature) VALUES (?, ?)",
                      {db::Value::bytes(bytes), db::Value::bytes(made.signature)});
        });
    } catch (const db::DatabaseError& ex) {
        throw LedgerError("cannot write a checkpoint to ledger " + name + ": " + ex.what());
    } catch (const LedgerError& ex) {
        throw LedgerError("cannot write a checkpoint to ledger " + name + ": " + ex.what());
    }
    return made;
}

bool LedgerAppender::storePeerCheckpoint(const Checkpoint& checkpoint) {
    const db::Values row{db::Value::bytes(checkpoint.signedBytes()), db::Value::bytes(checkpoint.signature)};
    try {
        return storage_->db().withConnection([&](db::Connection& c) {
            // One statement, so two instances receiving the same checkpoint store it once.
            return c.execute("INSERT INTO peer_checkpoints (signed, signature) VALUES (?, ?) ON CONFLICT DO NOTHING",
                             row) > 0;
        });
    } catch (const db::DatabaseError& ex) {
        throw LedgerError("cannot store a counterpart checkpoint in ledger " + storage_->name() + ": " +
                          ex.what());
    }
}

LedgerAppender::Blanked LedgerAppender::blankEntriesBefore(const std::string& cutoff,
                                                           const std::function<void(const Blanked&)>& record) {
    std::vector<std::uint64_t> due;
    Blanked blanked;
    for (std::uint64_t from = 1;;) {
        const auto chunk = reader_.entries(from, kRetentionWalkChunk);
        bool past = false;
        for (const auto& e : chunk) {
            if (!e.time.empty() && e.time >= cutoff) {
                past = true;  // entries are appended in time order: the blanked ones are a prefix
                break;
            }
            blanked.throughIndex = e.index;
            if (e.time.empty()) continue;  // already blanked
            if (!keptByRetention(e)) due.push_back(e.index);
        }
        if (past || chunk.size() < kRetentionWalkChunk) break;
        from = chunk.back().index + 1;
    }
    blanked.count = due.size();
    if (due.empty()) return blanked;
    if (record) record(blanked);
    try {
        storage_->db().transaction([&](db::Connection& c) {
            // Indices written into the statement (integers, nothing to escape): a
            // statement per chunk rather than one per entry.
            for (std::size_t from = 0; from < due.size(); from += kBlankPerStatement) {
                std::string list;
                for (std::size_t i = from; i < std::min(due.size(), from + kBlankPerStatement); ++i) {
                    if (!list.empty()) list += ',';
                    list += std::to_string(due[i]);
                }
                c.execute("UPDATE ledger_entries SET entry = NULL WHERE idx IN (" + list + ")");
            }
        });
    } catch (const db::DatabaseError& ex) {
        throw LedgerError("cannot purge ledger " + storage_->name() + ": " + ex.what());
    }
    return blanked;
}

}  // namespace passerelle::ledger
