#include "ledger/ledger.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "common/encoding.h"
#include "common/errors.h"
#include "database/database.h"
#include "ledger/leaf_hash.h"
#include "ledger/merkle.h"

#include <sodium.h>
#include "test_support.h"

namespace passerelle::ledger {
namespace {

using testing::FixedClock;
using testing::TestSigner;
using testing::transfer;
using testing::kFixedTime;
using testing::TempDir;
using testing::SteppedClock;
using testing::purgeAsRetention;


// A second connection to the file, as an attacker with file access would have.
class RawFile {
public:
    explicit RawFile(const std::filesystem::path& file) : db_(db::Location::sqlite(file)) {}
    void dropTriggers() {
        for (const char* t : {"ledger_entries_no_update", "ledger_entries_no_delete", "ledger_checkpoints_no_update",
                              "ledger_checkpoints_no_delete", "peer_checkpoints_no_update", "peer_checkpoints_no_delete"}) {
            exec("DROP TRIGGER IF EXISTS " + std::string(t));
        }
    }
    std::string column(const std::string& name, std::int64_t idx) {
        return db_.withConnection([&](db::Connection& c) {
            const db::Rows rows =
                c.query("SELECT " + name + " FROM ledger_entries WHERE idx = ?", {db::ColumnType::Bytes}, {idx});
            return rows.empty() ? std::string() : std::string(rows.bytesAsText(0, 0));
        });
    }
    std::string entry(std::int64_t idx) { return column("entry", idx); }
    void set(const std::string& name, std::int64_t idx, const std::string& bytes) {
        exec("UPDATE ledger_entries SET " + name + " = ? WHERE idx = ?", {db::Value::bytes(bytes), idx});
    }
    void setEntry(std::int64_t idx, const std::string& bytes) { set("entry", idx, bytes); }
    void setHash(const std::string& name, std::int64_t idx, const Hash& hash) {
        set(name, idx, std::string(reinterpret_cast<const char*>(hash.data()), hash.size()));
    }
    void remove(std::int64_t idx) { exec("DELETE FROM ledger_entries WHERE idx = ?", {idx}); }
    // Recomputes every stored leaf hash, root and the tree state from the entry bytes,
    // as a rewriter covering their tracks would.
    void rehash() {
        const db::Rows indices = db_.withConnection([](db::Connection& c) {
            return c.query("SELECT idx FROM ledger_entries ORDER BY idx", {db::ColumnType::Integer});
        });
        merkle::CompactTree tree;
        for (std::size_t row = 0; row < indices.size(); ++row) {
            const std::int64_t i = indices.integer(row, 0);
            const Hash leaf = leafHash(entry(i));
            tree.append(leaf);
            setHash("leaf_hash", i, leaf);
            setHash("root_hash", i, tree.root());
        }
        std::string frontier;
        for (const Hash& h : tree.frontier()) frontier.append(reinterpret_cast<const char*>(h.data()), h.size());
        exec("UPDATE ledger_tree SET size = ?, frontier = ?", {tree.size(), db::Value::bytes(frontier)});
    }
    // Runs a statement; the engine's refusal is a db::DatabaseError.
    void exec(const std::string& sql, const db::Values& params = {}) {
        db_.withConnection([&](db::Connection& c) { c.execute(sql, params); });
    }

private:
    db::Database db_;
};


class LedgerTest : public ::testing::Test {
protected:
    TempDir dir;
    FixedClock clock;
    std::filesystem::path file = dir.path() / "ledger.db";
    TestSigner own, peer;

    void fill(Ledger& ledger, std::uint64_t n) {
        const std::uint64_t start = ledger.size();
        for (std::uint64_t i = 1; i <= n; ++i) ASSERT_EQ(ledger.append(transfer(i)), start + i);
    }
    void sign(Ledger& ledger, std::uint64_t every = 0) {
        ledger.setCheckpointSigner("univ-montpellier", own.id(), own.signer(), every);
    }
    KeyResolver keys() const {
        return [this](const std::string& party, const std::string& keyId, const std::string& /*signedAt*/)
                   -> std::optional<SignKey> {
            if (party == "univ-montpellier" && keyId == own.id()) return own.pk;
            if (party == "region-occitanie" && keyId == peer.id()) return peer.pk;
            return std::nullopt;
        };
    }
    Ledger::Verification verify(const Ledger& ledger) const { return ledger.verify(keys()); }
};

TEST_F(LedgerTest, AppendNumbersFromOneAndStampsTheClockTime) {
    Ledger ledger(file, clock);
    EXPECT_EQ(ledger.size(), 0u);
    EXPECT_EQ(ledger.rootHash(), merkle::emptyRoot());
    EXPECT_EQ(ledger.append(transfer(3)), 1u);
    EXPECT_EQ(ledger.append(transfer(5)), 2u);
    const auto all = ledger.entries();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].index, 1u);
    EXPECT_EQ(all[1].index, 2u);
    EXPECT_EQ(all[0].time, kFixedTime);
    EXPECT_EQ(all[1].recordCount, 5u);
    EXPECT_EQ(all[1].fields, (std::vector<std::string>{"pseudonym", "programme"}));
}

TEST_F(LedgerTest, EntriesPersistAcrossReopenAndNumberingContinues) {
    Hash root{};
    {
        Ledger ledger(file, clock);
        fill(ledger, 3);
        root = ledger.rootHash();
    }
    Ledger reopened(file, clock);
    EXPECT_EQ(reopened.size(), 3u);
    EXPECT_EQ(reopened.rootHash(), root);
    EXPECT_EQ(reopened.append(transfer(4)), 4u);
    EXPECT_TRUE(verify(reopened).intact);
}

TEST_F(LedgerTest, EntriesHonoursFromAndLimit) {
    Ledger ledger(file, clock);
    fill(ledger, 10);
    const auto page = ledger.entries(4, 3);
    ASSERT_EQ(page.size(), 3u);
    EXPECT_EQ(page.front().index, 4u);
    EXPECT_EQ(page.back().index, 6u);
    EXPECT_TRUE(ledger.entries(11).empty());
    EXPECT_TRUE(ledger.entries(1, 0).empty());
}

TEST_F(LedgerTest, StoredBytesAreCanonicalAndTheRootIsTheRfc9162RootOfTheirLeaves) {
    Ledger ledger(file, clock);
    fill(ledger, 7);
    RawFile raw(file);
    const auto stored = ledger.entries();
    std::vector<Hash> leaves;
    for (std::int64_t i = 1; i <= 7; ++i) {
        EXPECT_EQ(raw.entry(i), canonicalBytes(stored[static_cast<std::size_t>(i - 1)]));
        EXPECT_EQ(ledger.entryBytes(static_cast<std::uint64_t>(i)), raw.entry(i));
        leaves.push_back(leafHash(raw.entry(i)));
    }
    EXPECT_EQ(ledger.rootHash(), merkle::rootOf(leaves));
}

TEST_F(LedgerTest, VerifyReportsAnIntactLedger) {
    Ledger ledger(file, clock);
    sign(ledger, 7);
    fill(ledger, 20);
    const auto v = verify(ledger);
    EXPECT_TRUE(v.intact) << v.problem;
    EXPECT_EQ(v.entries, 20u);
    EXPECT_EQ(v.checkpoints, 2u);  // at 7 and 14
    EXPECT_FALSE(v.firstBadIndex.has_value());
    EXPECT_EQ(v.rootHash, toHex(ledger.rootHash()));
}

TEST_F(LedgerTest, VerifyOfAnEmptyLedgerIsIntact) {
    Ledger ledger(file, clock);
    const auto v = verify(ledger);
    EXPECT_TRUE(v.intact);
    EXPECT_EQ(v.entries, 0u);
    EXPECT_EQ(v.rootHash, toHex(merkle::emptyRoot()));
}

TEST_F(LedgerTest, VerifyNamesTheEntryWhoseOneByteWasAltered) {
    Ledger ledger(file, clock);
    fill(ledger, 30);
    RawFile raw(file);
    raw.dropTriggers();
    std::string bytes = raw.entry(17);
    const auto at = bytes.find("\"outcome\":\"ok\"");
    ASSERT_NE(at, std::string::npos);
    bytes[at + 11] = 'K';  // "ok" -> "Kk": still a valid entry, different content
    raw.setEntry(17, bytes);

    const auto v = verify(ledger);
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.firstBadIndex, 17u);
    EXPECT_EQ(v.problem, "entry 17: stored leaf hash does not match its bytes (altered)");
    EXPECT_EQ(v.entries, 30u);
}

TEST_F(LedgerTest, VerifyNamesTheEntryWhoseLeafOrRootColumnWasAltered) {
    Ledger ledger(file, clock);
    fill(ledger, 12);
    RawFile raw(file);
    raw.dropTriggers();
    Hash other{};
    other[0] = 1;
    const std::string keptLeaf = raw.column("leaf_hash", 5);
    raw.setHash("leaf_hash", 5, other);
    auto v = verify(ledger);
    EXPECT_EQ(v.firstBadIndex, 5u);
    EXPECT_NE(v.problem.find("entry 5: stored leaf hash"), std::string::npos) << v.problem;

    raw.set("leaf_hash", 5, keptLeaf);
    raw.setHash("root_hash", 9, other);
    v = verify(ledger);
    EXPECT_EQ(v.firstBadIndex, 9u);
    EXPECT_NE(v.problem.find("entry 9: stored tree root"), std::string::npos) << v.problem;
}

TEST_F(LedgerTest, VerifyDetectsADeletedMiddleEntry) {
    Ledger ledger(file, clock);
    fill(ledger, 10);
    RawFile raw(file);
    raw.dropTriggers();
    raw.remove(5);

    const auto v = verify(ledger);
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.firstBadIndex, 5u);
    EXPECT_NE(v.problem.find("entry 5: missing"), std::string::npos) << v.problem;
}

TEST_F(LedgerTest, VerifyDetectsSwappedEntries) {
    Ledger ledger(file, clock);
    fill(ledger, 10);
    RawFile raw(file);
    raw.dropTriggers();
    const std::string a = raw.entry(3), b = raw.entry(4);
    raw.setEntry(3, b);
    raw.setEntry(4, a);
    const auto v = verify(ledger);
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.firstBadIndex, 3u);
    EXPECT_NE(v.problem.find("another entry"), std::string::npos) << v.problem;
}

TEST_F(LedgerTest, ARewriteWithRecomputedHashesIsCaughtByTheCheckpointCoveringIt) {
    Ledger ledger(file, clock);
    sign(ledger);
    fill(ledger, 5);
    ledger.checkpoint();
    fill(ledger, 5);
    ledger.checkpoint();
    RawFile raw(file);
    raw.dropTriggers();

    // Garbage with consistent hashes: caught by parsing.
    const std::string kept = raw.entry(7);
    raw.setEntry(7, "not an entry");
    raw.rehash();
    auto v = verify(ledger);
    EXPECT_EQ(v.firstBadIndex, 7u);
    EXPECT_NE(v.problem.find("entry 7: stored bytes are not a canonical ledger entry"), std::string::npos)
        << v.problem;

    // A plausible rewrite of entry 7 with every hash recomputed: only the signed
    // checkpoint over entries 1-10 can tell, and it does.
    LedgerEntry forged = parseEntry(kept);
    forged.recordCount = 1000;
    raw.setEntry(7, canonicalBytes(forged));
    raw.rehash();
    v = verify(ledger);
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.firstBadIndex, 10u);
    EXPECT_NE(v.problem.find("checkpoint 2 (tree_size 10) does not match the entries up to it"), std::string::npos)
        << v.problem;
    EXPECT_NE(v.problem.find("entries 1-10"), std::string::npos) << v.problem;
}

TEST_F(LedgerTest, TruncationBehindACheckpointIsNamed) {
    Ledger ledger(file, clock);
    sign(ledger);
    fill(ledger, 8);
    ledger.checkpoint();
    RawFile raw(file);
    raw.dropTriggers();
    raw.remove(8);
    raw.remove(7);
    raw.rehash();
    const auto v = verify(ledger);
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.firstBadIndex, 7u);
    EXPECT_NE(v.problem.find("entry 7: missing"), std::string::npos) << v.problem;
    EXPECT_NE(v.problem.find("truncated"), std::string::npos) << v.problem;
}

TEST_F(LedgerTest, AForgedOrForeignCheckpointIsNamed) {
    Ledger ledger(file, clock);
    sign(ledger);
    fill(ledger, 4);
    const Checkpoint genuine = ledger.checkpoint();
    EXPECT_TRUE(genuine.signatureVerifies(own.pk));
    EXPECT_EQ(genuine.treeSize, 4u);
    EXPECT_EQ(genuine.rootHash, ledger.rootHash());
    EXPECT_EQ(ledger.checkpoint(), genuine) << "an unchanged tree gets no second checkpoint";

    RawFile raw(file);
    raw.dropTriggers();
    // Another root under the genuine signature.
    Checkpoint forged = genuine;
    forged.rootHash[0] ^= 1;
    const std::string forgedBytes = forged.signedBytes();
    raw.exec("UPDATE ledger_checkpoints SET signed = ? WHERE seq = 1", {db::Value::bytes(forgedBytes)});
    auto v = verify(ledger);
    EXPECT_FALSE(v.intact);
    EXPECT_NE(v.problem.find("checkpoint 1 (tree_size 4): its signature does not verify"), std::string::npos)
        << v.problem;

    // Correctly signed, but by a key that is not ours.
    ledger.setCheckpointSigner("univ-montpellier", peer.id(), peer.signer());
    raw.exec("DELETE FROM ledger_checkpoints");
    ledger.checkpoint();
    v = verify(ledger);
    EXPECT_FALSE(v.intact);
    EXPECT_NE(v.problem.find("not one of this party's keys"), std::string::npos) << v.problem;
}

TEST_F(LedgerTest, CheckpointsAreMadeEveryNEntries) {
    Ledger ledger(file, clock);
    sign(ledger, 3);
    fill(ledger, 10);
    const auto all = ledger.checkpoints();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].treeSize, 3u);
    EXPECT_EQ(all[2].treeSize, 9u);
    EXPECT_EQ(ledger.uncheckpointed(), 1u);
    EXPECT_THROW(Ledger(file, clock).checkpoint(), LedgerError) << "no signer, no checkpoint";
}

TEST_F(LedgerTest, ProofsFromTheLedgerVerifyAgainstItsCheckpoints) {
    Ledger ledger(file, clock);
    sign(ledger);
    fill(ledger, 6);
    const Checkpoint first = ledger.checkpoint();
    fill(ledger, 7);
    const Checkpoint second = ledger.checkpoint();
    for (std::uint64_t i = 1; i <= 13; ++i) {
        const InclusionProof p = ledger.inclusionProof(i, second.treeSize);
        EXPECT_EQ(p.leafHash, leafHash(*ledger.entryBytes(i)));
        EXPECT_EQ(p.rootHash, second.rootHash);
        EXPECT_TRUE(merkle::verifyInclusion(p.leafHash, i - 1, p.treeSize, p.path, second.rootHash)) << i;
    }
    const auto consistency = ledger.consistencyProof(first.treeSize, second.treeSize);
    EXPECT_TRUE(merkle::verifyConsistency(first.treeSize, second.treeSize, first.rootHash, second.rootHash,
                                          consistency));
    EXPECT_THROW(ledger.inclusionProof(14, 13), LedgerError);
    EXPECT_THROW(ledger.inclusionProof(1, 14), LedgerError);
}

TEST_F(LedgerTest, CounterpartCheckpointsAreKeptOnceAndTheirSignaturesVerified) {
    Ledger theirs(dir.path() / "region.db", clock);
    theirs.setCheckpointSigner("region-occitanie", peer.id(), peer.signer());
    theirs.append(transfer(1));
    const Checkpoint received = theirs.checkpoint();

    Ledger ledger(file, clock);
    EXPECT_TRUE(ledger.storePeerCheckpoint(received));
    EXPECT_FALSE(ledger.storePeerCheckpoint(received));
    ASSERT_EQ(ledger.peerCheckpoints().size(), 1u);
    EXPECT_EQ(ledger.peerCheckpoints().front(), received);
    auto v = verify(ledger);
    EXPECT_TRUE(v.intact) << v.problem;
    EXPECT_EQ(v.peerCheckpoints, 1u);

    Checkpoint forged = received;
    forged.treeSize = 0;
    ledger.storePeerCheckpoint(forged);
    v = verify(ledger);
    EXPECT_FALSE(v.intact);
    EXPECT_NE(v.problem.find("counterpart checkpoint 2 (region-occitanie, tree_size 0): its signature does not verify"),
              std::string::npos)
        << v.problem;
}

// Key history: the resolver is asked for the key valid at each checkpoint's own time, and
// its refusal (a retired key signing after its retirement) is the finding.
TEST_F(LedgerTest, EachCheckpointIsCheckedWithTheKeyValidAtItsTime) {
    Ledger theirs(dir.path() / "region.db", clock);
    theirs.setCheckpointSigner("region-occitanie", peer.id(), peer.signer());
    theirs.append(transfer(1));
    const Checkpoint received = theirs.checkpoint();
    Ledger ledger(file, clock);
    sign(ledger);
    fill(ledger, 2);
    const Checkpoint mine = ledger.checkpoint();
    ledger.storePeerCheckpoint(received);

    std::vector<std::string> askedAt;
    const KeyResolver retiredBefore = [&](const std::string& party, const std::string& keyId,
                                          const std::string& signedAt) -> ResolvedKey {
        askedAt.push_back(party + " " + signedAt);
        if (party == "region-occitanie") {
            return {std::nullopt, "key " + keyId + " of 'region-occitanie' was retired before " + signedAt};
        }
        return keys()(party, keyId, signedAt);
    };
    const auto v = ledger.verify(retiredBefore);
    EXPECT_EQ(askedAt, (std::vector<std::string>{"univ-montpellier " + mine.time, "region-occitanie " + received.time}));
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.problem, "counterpart checkpoint 1 (region-occitanie, tree_size 1): key " + peer.id() +
                             " of 'region-occitanie' was retired before " + received.time);
}

TEST_F(LedgerTest, QueryFiltersOnPurposeCounterpartOperationBatchAndTime) {
    Ledger ledger(file, clock);
    fill(ledger, 3);
    LedgerEntry other = transfer(2, "batch-9");
    other.purpose = "insertion-outcome";
    other.operation = "batch-sealed";
    ledger.append(other);
    // One filter member set at a time: (member, value) -> matching entries.
    auto count = [&](std::string ledger::EntryFilter::*member, const std::string& value) {
        ledger::EntryFilter f;
        f.*member = value;
        return ledger.query(f).size();
    };
    EXPECT_EQ(ledger.query({}).size(), 4u);
    EXPECT_EQ(count(&EntryFilter::purpose, "insertion-outcome"), 1u);
    EXPECT_EQ(count(&EntryFilter::operation, "transfer.sent"), 3u);
    EXPECT_EQ(count(&EntryFilter::counterpart, "nobody"), 0u);
    EXPECT_EQ(count(&EntryFilter::batchId, "batch-9"), 1u);
    EXPECT_EQ(count(&EntryFilter::from, "2026-11-30"), 0u);
    EXPECT_EQ(count(&EntryFilter::to, "2026-11-29T08:36:37Z"), 0u);
    EntryFilter day;
    day.from = day.to = "2026-11-29";
    EXPECT_EQ(ledger.query(day).size(), 4u) << "a date bound takes the whole day";
}

TEST_F(LedgerTest, RetentionMayBlankEntriesButProofsAndVerificationStillHold) {
    SteppedClock days;
    Ledger ledger(file, days);
    sign(ledger);
    fill(ledger, 5);
    const Checkpoint before = ledger.checkpoint();
    days.advanceDays(400);
    const Ledger::Blanked blanked = purgeAsRetention(ledger, formatUtc(days.at - std::chrono::hours(24) * 365));
    EXPECT_EQ(blanked.count, 5u);
    EXPECT_EQ(blanked.throughIndex, 5u);
    EXPECT_EQ(ledger.entries(2, 1).front().operation, "(purged)");
    EXPECT_EQ(ledger.entry(6)->operation, toText(Operation::LedgerPurged)) << "written before the bytes went";
    EXPECT_EQ(purgeAsRetention(ledger, formatUtc(days.at - std::chrono::hours(24) * 365)).count, 0u)
        << "already blanked: no second purge entry";
    const auto v = verify(ledger);
    EXPECT_TRUE(v.intact) << v.problem;
    EXPECT_EQ(v.entries, 6u);
    const InclusionProof p = ledger.inclusionProof(2, 5);
    EXPECT_TRUE(merkle::verifyInclusion(p.leafHash, 1, 5, p.path, before.rootHash));
}

// The append-only trigger lets an entry's bytes be set to NULL (retention does it),
// and the hashes stay: only the ledger-purged entries tell a purge from a hand.
TEST_F(LedgerTest, AnEntryBlankedByHandIsAnAlarmNamingIt) {
    Ledger ledger(file, clock);
    sign(ledger);
    fill(ledger, 5);
    ledger.checkpoint();
    ASSERT_TRUE(verify(ledger).intact);
    RawFile raw(file);
    raw.exec("UPDATE ledger_entries SET entry = NULL WHERE idx = 4");
    const auto v = verify(ledger);
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.firstBadIndex, 4u);
    EXPECT_NE(v.problem.find("entry 4: its bytes are gone"), std::string::npos) << v.problem;
    EXPECT_NE(v.problem.find("blanked outside retention"), std::string::npos) << v.problem;
}

TEST_F(LedgerTest, BlankingTheOldestEntryByHandIsAnAlarmToo) {
    Ledger ledger(file, clock);
    fill(ledger, 3);
    RawFile raw(file);
    raw.exec("UPDATE ledger_entries SET entry = NULL WHERE idx = 1");
    const auto v = verify(ledger);
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.firstBadIndex, 1u) << v.problem;
}

TEST_F(LedgerTest, AfterALegitimatePurgeEntriesBlankedByHandAreStillNamed) {
    SteppedClock days;
    Ledger ledger(file, days);
    fill(ledger, 3);
    days.advanceDays(400);
    ASSERT_EQ(purgeAsRetention(ledger, formatUtc(days.at - std::chrono::hours(24) * 365)).count, 3u);
    fill(ledger, 3);  // entries 5-7, minutes old
    ASSERT_TRUE(verify(ledger).intact) << verify(ledger).problem;

    RawFile raw(file);
    // The oldest remaining one, right after the purged ones: the purge entry covers only 1-3.
    raw.exec("UPDATE ledger_entries SET entry = NULL WHERE idx = 5");
    auto v = verify(ledger);
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.firstBadIndex, 5u) << v.problem;
    EXPECT_NE(v.problem.find("no ledger-purged entry accounts for them"), std::string::npos) << v.problem;

    // A recent entry after one that still has its bytes: retention never blanks that way.
    raw.exec("UPDATE ledger_entries SET entry = NULL WHERE idx = 7");
    v = verify(ledger);
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.firstBadIndex, 7u) << v.problem;
    EXPECT_NE(v.problem.find("entry 6, older, still has its own"), std::string::npos) << v.problem;
}

TEST_F(LedgerTest, APurgeEntryOfAnEarlierVersionWithoutItsLastIndexAccountsForOlderEntriesOnly) {
    SteppedClock days;
    Ledger ledger(file, days);
    fill(ledger, 3);
    days.advanceDays(400);
    // The reason earlier versions wrote: only the retention, not the last entry covered.
    ledger.blankEntriesBefore(formatUtc(days.at - std::chrono::hours(24) * 365), [&](const Ledger::Blanked& b) {
        LedgerEntry e;
        e.actor = "operator";
        e.operation = toText(Operation::LedgerPurged);
        e.recordCount = b.count;
        e.outcome = "blanked";
        e.reason = "entry bytes older than 365 days blanked; their hashes remain";
        ledger.append(e);
    });
    auto v = verify(ledger);
    EXPECT_TRUE(v.intact) << v.problem;

    // An entry appended after that purge and blanked by hand is not covered by it.
    fill(ledger, 2);  // 5, 6
    RawFile raw(file);
    raw.exec("UPDATE ledger_entries SET entry = NULL WHERE idx = 5");
    v = verify(ledger);
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.firstBadIndex, 5u) << v.problem;
}

TEST_F(LedgerTest, UpdateAndDeleteThroughSqlAreRefusedByTriggers) {
    Ledger ledger(file, clock);
    fill(ledger, 3);
    RawFile raw(file);
    try {
        raw.setEntry(2, "tampered");
        FAIL() << "UPDATE was not refused";
    } catch (const db::DatabaseError& ex) {
        EXPECT_NE(std::string(ex.what()).find("ledger is append-only"), std::string::npos) << ex.what();
    }
    try {
        raw.remove(2);
        FAIL() << "DELETE was not refused";
    } catch (const db::DatabaseError& ex) {
        EXPECT_NE(std::string(ex.what()).find("ledger is append-only"), std::string::npos) << ex.what();
    }
    EXPECT_TRUE(verify(ledger).intact);
    EXPECT_EQ(ledger.size(), 3u);
}

TEST_F(LedgerTest, ReopeningRestoresDroppedTriggers) {
    {
        Ledger ledger(file, clock);
        fill(ledger, 2);
    }
    { RawFile(file).dropTriggers(); }
    Ledger ledger(file, clock);
    RawFile raw(file);
    EXPECT_THROW(raw.remove(1), db::DatabaseError);
}

TEST_F(LedgerTest, ConcurrentAppendsAreContiguousAndVerify) {
    Ledger ledger(file, clock);
    constexpr int kThreads = 4, kPerThread = 200;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&ledger, t] {
            for (int i = 0; i < kPerThread; ++i) ledger.append(transfer(1, "batch-t" + std::to_string(t)));
        });
    }
    for (auto& thread : threads) thread.join();

    EXPECT_EQ(ledger.size(), 800u);
    const auto all = ledger.entries();
    ASSERT_EQ(all.size(), 800u);
    for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i].index, i + 1);
    const auto v = verify(ledger);
    EXPECT_TRUE(v.intact) << v.problem;
    EXPECT_EQ(v.entries, 800u);
}

TEST_F(LedgerTest, TwoLedgerObjectsOnOneFileInterleaveSafely) {
    Ledger a(file, clock), b(file, clock);
    std::thread ta([&] {
        for (int i = 0; i < 50; ++i) a.append(transfer(1, "a"));
    });
    std::thread tb([&] {
        for (int i = 0; i < 50; ++i) b.append(transfer(1, "b"));
    });
    ta.join();
    tb.join();
    const auto v = verify(a);
    EXPECT_TRUE(v.intact) << v.problem;
    EXPECT_EQ(v.entries, 100u);
}

TEST_F(LedgerTest, EntryWithoutActorOrOperationIsRefused) {
    Ledger ledger(file, clock);
    LedgerEntry e = transfer(1);
    e.actor.clear();
    EXPECT_THROW(ledger.append(e), LedgerError);
    e = transfer(1);
    e.operation.clear();
    EXPECT_THROW(ledger.append(e), LedgerError);
    e = transfer(1);
    e.reason = "bad\xC3";
    try {
        ledger.append(e);
        FAIL() << "invalid UTF-8 was appended";
    } catch (const LedgerError& ex) {
        EXPECT_EQ(std::string(ex.what()), "cannot append to ledger " + file.string() +
                                              ": ledger entry field 'reason' is not valid UTF-8; fix the "
                                              "caller that built this entry");
    }
    EXPECT_EQ(ledger.size(), 0u);
}

TEST_F(LedgerTest, ErrorsNameTheFile) {
    const auto bad = dir.path() / "no-such-folder" / "ledger.db";
    try {
        Ledger ledger(bad, clock);
        FAIL() << "opening in a missing folder succeeded";
    } catch (const LedgerError& ex) {
        EXPECT_EQ(std::string(ex.what()), "cannot open ledger " + bad.string() + ": folder " +
                                              bad.parent_path().string() +
                                              " does not exist; create it first");
    }
}

TEST_F(LedgerTest, AFileThatIsNotADatabaseIsReportedWithItsName) {
    {
        std::ofstream(file)
            << "this is not an SQLite database, just some text long enough to matter.........";
    }
    try {
        Ledger ledger(file, clock);
        FAIL() << "opened a non-database";
    } catch (const LedgerError& ex) {
        const std::string what = ex.what();
        EXPECT_EQ(what, "cannot open ledger " + file.string() + ": file is not a database");
    }
}

}  // namespace
}  // namespace passerelle::ledger

namespace passerelle::ledger {
namespace {

// A ledger written by the earlier hash-chain version: rows (idx, entry, chain_hash)
// with chain_hash = SHA-256(previous || leaf hash).
void writeChainLedger(const std::filesystem::path& file, int entries, int corruptAt = 0) {
    RawFile raw(file);
    raw.exec("CREATE TABLE ledger_entries (idx INTEGER PRIMARY KEY, entry BLOB NOT NULL, chain_hash BLOB NOT NULL)");
    Hash previous{};
    for (int i = 1; i <= entries; ++i) {
        LedgerEntry e = transfer(static_cast<std::uint64_t>(i));
        e.index = static_cast<std::uint64_t>(i);
        e.time = kFixedTime;
        std::string bytes = canonicalBytes(e);
        const Hash leaf = leafHash(bytes);
        Hash link{};
        crypto_hash_sha256_state state;
        crypto_hash_sha256_init(&state);
        crypto_hash_sha256_update(&state, previous.data(), previous.size());
        crypto_hash_sha256_update(&state, leaf.data(), leaf.size());
        crypto_hash_sha256_final(&state, link.data());
        previous = link;
        if (i == corruptAt) bytes[bytes.size() / 2] ^= 1;
        raw.exec("INSERT INTO ledger_entries VALUES (?, ?, ?)", {i, db::Value::bytes(bytes), db::Value::bytes(link)});
    }
}

TEST_F(LedgerTest, AHashChainLedgerOfTheEarlierVersionIsVerifiedAndCarriedIntoTheTree) {
    writeChainLedger(file, 6);
    Ledger ledger(file, clock);
    EXPECT_EQ(ledger.size(), 7u);
    const auto migrated = ledger.entry(7);
    ASSERT_TRUE(migrated);
    EXPECT_EQ(migrated->operation, "ledger-migrated");
    EXPECT_NE(migrated->reason.find("hash chain of 6 entries"), std::string::npos) << migrated->reason;
    EXPECT_EQ(ledger.entry(3)->recordCount, 3u);
    EXPECT_TRUE(verify(ledger).intact) << verify(ledger).problem;
    EXPECT_EQ(ledger.append(transfer(8)), 8u);
    Ledger reopened(file, clock);
    EXPECT_EQ(reopened.size(), 8u) << "migrated once";
}

TEST_F(LedgerTest, AHashChainLedgerThatDoesNotVerifyIsLeftUntouched) {
    writeChainLedger(file, 5, 4);
    try {
        Ledger ledger(file, clock);
        FAIL() << "a broken chain was migrated";
    } catch (const LedgerError& e) {
        EXPECT_NE(std::string(e.what()).find("does not verify at entry 4"), std::string::npos) << e.what();
    }
    db::Database raw(db::Location::sqlite(file));
    const std::int64_t chainColumn = raw.withConnection([](db::Connection& c) {
        return c.integer("SELECT COUNT(*) FROM pragma_table_info('ledger_entries') WHERE name = 'chain_hash'");
    });
    EXPECT_EQ(chainColumn, 1);
}

}  // namespace
}  // namespace passerelle::ledger
