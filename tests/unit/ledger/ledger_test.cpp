#include "ledger/ledger.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "common/encoding.h"
#include "common/errors.h"
#include "ledger/chain.h"
#include "test_support.h"

using namespace Poco::Data::Keywords;

namespace passerelle::ledger {
namespace {

using testing::FixedClock;
using testing::kFixedTime;
using testing::TempDir;

LedgerEntry transfer(std::uint64_t records, const std::string& batch = "batch-1") {
    LedgerEntry e;
    e.actor = "univ-montpellier";
    e.operation = "transfer.sent";
    e.purpose = "internship-agreement";
    e.legal_basis = "art6-1-e";
    e.counterpart = "region-occitanie";
    e.batch_id = batch;
    e.payload_digest = "sha256:abcd";
    e.outcome = "ok";
    e.fields = {"pseudonym", "programme"};
    e.record_count = records;
    return e;
}

// A second connection to the file, as an attacker with file access would have.
class RawFile {
public:
    explicit RawFile(const std::filesystem::path& file) : session_("SQLite", file.string()) {}
    void dropTriggers() {
        session_ << "DROP TRIGGER IF EXISTS ledger_entries_no_update", now;
        session_ << "DROP TRIGGER IF EXISTS ledger_entries_no_delete", now;
    }
    std::string entry(Poco::Int64 idx) {
        Poco::Data::BLOB blob;
        session_ << "SELECT entry FROM ledger_entries WHERE idx = ?", use(idx), into(blob), now;
        return {reinterpret_cast<const char*>(blob.rawContent()), blob.size()};
    }
    void setEntry(Poco::Int64 idx, const std::string& bytes) {
        Poco::Data::BLOB blob(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
        session_ << "UPDATE ledger_entries SET entry = ? WHERE idx = ?", use(blob), use(idx), now;
    }
    void setChainHash(Poco::Int64 idx, const Hash& hash) {
        Poco::Data::BLOB blob(hash.data(), hash.size());
        session_ << "UPDATE ledger_entries SET chain_hash = ? WHERE idx = ?", use(blob), use(idx), now;
    }
    void remove(Poco::Int64 idx) { session_ << "DELETE FROM ledger_entries WHERE idx = ?", use(idx), now; }
    Poco::Data::Session& session() { return session_; }

private:
    Poco::Data::Session session_;
};

class LedgerTest : public ::testing::Test {
protected:
    TempDir dir;
    FixedClock clock;
    std::filesystem::path file = dir.path() / "ledger.db";

    void fill(Ledger& ledger, std::uint64_t n) {
        for (std::uint64_t i = 1; i <= n; ++i) ASSERT_EQ(ledger.append(transfer(i)), i);
    }
};

TEST_F(LedgerTest, AppendNumbersFromOneAndStampsTheClockTime) {
    Ledger ledger(file, clock);
    EXPECT_EQ(ledger.size(), 0u);
    EXPECT_EQ(ledger.headHash(), std::string(64, '0'));
    EXPECT_EQ(ledger.append(transfer(3)), 1u);
    EXPECT_EQ(ledger.append(transfer(5)), 2u);
    const auto all = ledger.entries();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].index, 1u);
    EXPECT_EQ(all[1].index, 2u);
    EXPECT_EQ(all[0].time, kFixedTime);
    EXPECT_EQ(all[1].record_count, 5u);
    EXPECT_EQ(all[1].fields, (std::vector<std::string>{"pseudonym", "programme"}));
}

TEST_F(LedgerTest, EntriesPersistAcrossReopenAndNumberingContinues) {
    std::string head;
    {
        Ledger ledger(file, clock);
        fill(ledger, 3);
        head = ledger.headHash();
    }
    Ledger reopened(file, clock);
    EXPECT_EQ(reopened.size(), 3u);
    EXPECT_EQ(reopened.headHash(), head);
    EXPECT_EQ(reopened.append(transfer(4)), 4u);
    EXPECT_TRUE(reopened.verify().intact);
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

TEST_F(LedgerTest, StoredBytesAreTheCanonicalBytesAndChainAsSpecified) {
    Ledger ledger(file, clock);
    fill(ledger, 2);
    RawFile raw(file);
    const auto stored = ledger.entries();
    EXPECT_EQ(raw.entry(1), canonicalBytes(stored[0]));
    const Hash h1 = chainHash(kGenesisHash, leafHash(raw.entry(1)));
    const Hash h2 = chainHash(h1, leafHash(raw.entry(2)));
    EXPECT_EQ(ledger.headHash(), toHex(h2));
}

TEST_F(LedgerTest, VerifyReportsAnIntactLedger) {
    Ledger ledger(file, clock);
    fill(ledger, 20);
    const auto v = ledger.verify();
    EXPECT_TRUE(v.intact) << v.problem;
    EXPECT_EQ(v.entries, 20u);
    EXPECT_FALSE(v.firstBadIndex.has_value());
    EXPECT_EQ(v.headHash, ledger.headHash());
}

TEST_F(LedgerTest, VerifyOfAnEmptyLedgerIsIntact) {
    Ledger ledger(file, clock);
    const auto v = ledger.verify();
    EXPECT_TRUE(v.intact);
    EXPECT_EQ(v.entries, 0u);
    EXPECT_EQ(v.headHash, std::string(64, '0'));
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

    const auto v = ledger.verify();
    EXPECT_FALSE(v.intact);
    ASSERT_TRUE(v.firstBadIndex.has_value());
    EXPECT_EQ(*v.firstBadIndex, 17u);
    EXPECT_EQ(v.problem, "entry 17: stored hash does not match its content (altered or reordered)");
    EXPECT_EQ(v.entries, 30u);
}

TEST_F(LedgerTest, VerifyDetectsADeletedMiddleEntry) {
    Ledger ledger(file, clock);
    fill(ledger, 10);
    RawFile raw(file);
    raw.dropTriggers();
    raw.remove(5);

    const auto v = ledger.verify();
    EXPECT_FALSE(v.intact);
    ASSERT_TRUE(v.firstBadIndex.has_value());
    EXPECT_EQ(*v.firstBadIndex, 5u);
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
    const auto v = ledger.verify();
    EXPECT_FALSE(v.intact);
    EXPECT_EQ(v.firstBadIndex, 3u);
}

TEST_F(LedgerTest, VerifyDoesNotTrustHashesARewriterRecomputed) {
    Ledger ledger(file, clock);
    fill(ledger, 5);
    const std::string keptHead = ledger.headHash();
    RawFile raw(file);
    raw.dropTriggers();

    // Garbage with a consistent chain: caught by parsing, not by the hashes.
    raw.setEntry(2, "not an entry");
    Hash h = kGenesisHash;
    for (Poco::Int64 i = 1; i <= 5; ++i) {
        h = chainHash(h, leafHash(raw.entry(i)));
        raw.setChainHash(i, h);
    }
    auto v = ledger.verify();
    EXPECT_EQ(v.firstBadIndex, 2u);
    EXPECT_NE(v.problem.find("entry 2: stored bytes are not a canonical ledger entry"), std::string::npos)
        << v.problem;

    // An entry moved to another slot, rechained: its own index gives it away.
    LedgerEntry moved = ledger.entries(1, 1).front();
    moved.index = 9;
    raw.setEntry(2, canonicalBytes(moved));
    h = kGenesisHash;
    for (Poco::Int64 i = 1; i <= 5; ++i) {
        h = chainHash(h, leafHash(raw.entry(i)));
        raw.setChainHash(i, h);
    }
    v = ledger.verify();
    EXPECT_EQ(v.firstBadIndex, 2u);
    EXPECT_NE(v.problem.find("says it is entry 9"), std::string::npos) << v.problem;

    // A fully consistent rewrite verifies on its own, but its head differs
    // from a copy kept elsewhere (what checkpoints will be for).
    moved.index = 2;
    raw.setEntry(2, canonicalBytes(moved));
    h = kGenesisHash;
    for (Poco::Int64 i = 1; i <= 5; ++i) {
        h = chainHash(h, leafHash(raw.entry(i)));
        raw.setChainHash(i, h);
    }
    v = ledger.verify();
    EXPECT_TRUE(v.intact) << v.problem;
    EXPECT_NE(v.headHash, keptHead);
}

TEST_F(LedgerTest, UpdateAndDeleteThroughSqlAreRefusedByTriggers) {
    Ledger ledger(file, clock);
    fill(ledger, 3);
    RawFile raw(file);
    try {
        raw.setEntry(2, "tampered");
        FAIL() << "UPDATE was not refused";
    } catch (const Poco::Exception& ex) {
        EXPECT_NE(ex.displayText().find("ledger is append-only"), std::string::npos) << ex.displayText();
    }
    try {
        raw.remove(2);
        FAIL() << "DELETE was not refused";
    } catch (const Poco::Exception& ex) {
        EXPECT_NE(ex.displayText().find("ledger is append-only"), std::string::npos) << ex.displayText();
    }
    EXPECT_TRUE(ledger.verify().intact);
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
    EXPECT_THROW(raw.remove(1), Poco::Exception);
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
    const auto v = ledger.verify();
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
    const auto v = a.verify();
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
