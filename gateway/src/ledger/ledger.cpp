#include "ledger/ledger.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include <algorithm>
#include <limits>
#include <string_view>

#include "common/encoding.h"
#include "common/errors.h"
#include "ledger/chain.h"

using Poco::Data::BLOB;
using Poco::Data::Session;
using namespace Poco::Data::Keywords;

namespace passerelle::ledger {
namespace {

constexpr int kBusyTimeoutMs = 10'000;
constexpr std::size_t kOpenTimeoutSeconds = 5;
constexpr Poco::Int64 kVerifyChunk = 1024;

void registerSqliteOnce() {
    static std::once_flag once;
    std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
}

// Poco's message is the SQLite text ("disk I/O error"); fall back to the class name.
// Poco's SQLite errors often read "disk I/O error: disk I/O error"; say it once.
std::string describe(const Poco::Exception& ex) {
    std::string text = ex.message().empty() ? ex.displayText() : ex.message();
    const std::size_t half = text.size() / 2;
    if (text.size() > 2 && text.size() % 2 == 0 && text.compare(half - 1, 2, ": ") == 0 &&
        text.compare(0, half - 1, text, half + 1) == 0) {
        text.resize(half - 1);
    }
    return text;
}

std::string_view view(const BLOB& blob) {
    if (blob.size() == 0) return {};
    return {reinterpret_cast<const char*>(blob.rawContent()), blob.size()};
}

BLOB toBlob(std::string_view bytes) {
    return BLOB(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::unique_ptr<Session> openSession(const std::filesystem::path& file) {
    // Poco waits out its whole login timeout when sqlite3_open fails, so the
    // likely cause is checked first and the timeout kept short.
    const std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : ".";
    if (std::error_code ec; !std::filesystem::is_directory(folder, ec)) {
        throw Poco::FileNotFoundException("folder " + folder.string() + " does not exist; create it first");
    }
    auto session = std::make_unique<Session>("SQLite", file.string(), kOpenTimeoutSeconds);
    *session << "PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs), now;
    std::string mode;
    *session << "PRAGMA journal_mode = WAL", into(mode), now;
    if (mode != "wal") {
        throw Poco::IOException("the file system does not support write-ahead logging (journal mode is " +
                                mode + ")");
    }
    *session << "PRAGMA synchronous = FULL", now;
    return session;
}

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT, rolling back if it throws.
template <typename Body>
void inWriteTransaction(Session& session, Body&& body) {
    session << "BEGIN IMMEDIATE", now;
    try {
        body();
        session << "COMMIT", now;
    } catch (...) {
        try {
            session << "ROLLBACK", now;
        } catch (const Poco::Exception&) {
            // SQLite may already have rolled back (e.g. disk full); the
            // original error is the one worth reporting.
        }
        throw;
    }
}

}  // namespace

const Clock& systemClock() {
    static const SystemClock clock;
    return clock;
}

Ledger::Ledger(const std::filesystem::path& sqliteFile, const Clock& clock)
    : file_(sqliteFile), clock_(&clock) {
    registerSqliteOnce();
    try {
        session_ = openSession(file_);
        inWriteTransaction(*session_, [&] {
            *session_ << "CREATE TABLE IF NOT EXISTS ledger_entries ("
                         "idx INTEGER PRIMARY KEY, entry BLOB NOT NULL, chain_hash BLOB NOT NULL)",
                now;
            *session_
                << "CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
                   "BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END",
                now;
            *session_
                << "CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
                   "BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END",
                now;
        });
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot open ledger " + file_.string() + ": " + describe(ex));
    }
}

Ledger::~Ledger() = default;

std::uint64_t Ledger::append(LedgerEntry entry) {
    if (entry.actor.empty() || entry.operation.empty()) {
        throw LedgerError("cannot append to ledger " + file_.string() +
                          ": an entry needs an actor and an operation");
    }
    entry.time = formatUtc(clock_->now());
    try {
        // Refuses bad UTF-8 before the transaction; only the index changes below.
        (void)canonicalBytes(entry);
    } catch (const LedgerError& ex) {
        throw LedgerError("cannot append to ledger " + file_.string() + ": " + ex.what());
    }

    std::lock_guard lock(mutex_);
    try {
        inWriteTransaction(*session_, [&] {
            std::vector<Poco::Int64> lastIndex;
            std::vector<BLOB> lastHash;
            *session_ << "SELECT idx, chain_hash FROM ledger_entries ORDER BY idx DESC LIMIT 1",
                into(lastIndex), into(lastHash), now;

            Hash previous = kGenesisHash;
            entry.index = 1;
            if (!lastIndex.empty()) {
                if (lastIndex.front() < 1 || lastHash.front().size() != previous.size()) {
                    throw LedgerError("cannot append to ledger " + file_.string() + ": its newest row (" +
                                      std::to_string(lastIndex.front()) +
                                      ") is malformed; run the ledger verification");
                }
                std::copy_n(lastHash.front().rawContent(), previous.size(), previous.begin());
                entry.index = static_cast<std::uint64_t>(lastIndex.front()) + 1;
            }

            const std::string bytes = canonicalBytes(entry);
            const Hash chained = chainHash(previous, leafHash(bytes));
            Poco::Int64 idx = static_cast<Poco::Int64>(entry.index);
            BLOB entryBlob = toBlob(bytes);
            BLOB hashBlob(chained.data(), chained.size());
            *session_ << "INSERT INTO ledger_entries (idx, entry, chain_hash) VALUES (?, ?, ?)", use(idx),
                use(entryBlob), use(hashBlob), now;
        });
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot append to ledger " + file_.string() + ": " + describe(ex));
    }
    return entry.index;
}

Ledger::Verification Ledger::verify() const {
    Verification result;
    Hash previous = kGenesisHash;
    std::uint64_t expected = 1;
    auto fail = [&](std::uint64_t index, const std::string& problem) {
        result.intact = false;
        result.firstBadIndex = index;
        result.problem = "entry " + std::to_string(index) + ": " + problem;
    };

    if (std::error_code ec; !std::filesystem::is_regular_file(file_, ec)) {
        throw LedgerError("cannot verify ledger " + file_.string() + ": the file is missing");
    }
    try {
        // Own connection and read snapshot: appends go on meanwhile, and
        // nothing cached by this object is trusted.
        const std::unique_ptr<Session> session = openSession(file_);
        *session << "BEGIN", now;
        Poco::Int64 after = std::numeric_limits<Poco::Int64>::min();
        Poco::Int64 chunk = kVerifyChunk;
        for (;;) {
            std::vector<Poco::Int64> indices;
            std::vector<BLOB> stored, hashes;
            *session
                << "SELECT idx, entry, chain_hash FROM ledger_entries WHERE idx > ? ORDER BY idx LIMIT ?",
                use(after), use(chunk), into(indices), into(stored), into(hashes), now;
            if (indices.empty()) break;
            after = indices.back();
            result.entries += indices.size();
            if (!result.intact) continue;  // keep counting rows only

            for (std::size_t row = 0; row < indices.size() && result.intact; ++row) {
                const Poco::Int64 index = indices[row];
                if (index < 1) {
                    fail(expected, "a row with index " + std::to_string(index) +
                                       " is stored before it (indices start at 1)");
                    break;
                }
                if (static_cast<std::uint64_t>(index) != expected) {
                    fail(expected, "missing (the next stored entry is " + std::to_string(index) +
                                       "; deleted or reordered)");
                    break;
                }
                const std::string_view bytes = view(stored[row]);
                const Hash chained = chainHash(previous, leafHash(bytes));
                if (view(hashes[row]) !=
                    std::string_view(reinterpret_cast<const char*>(chained.data()), chained.size())) {
                    fail(expected, "stored hash does not match its content (altered or reordered)");
                    break;
                }
                try {
                    const LedgerEntry entry = parseEntry(bytes);
                    if (entry.index != expected) {
                        fail(expected, "its content says it is entry " + std::to_string(entry.index) +
                                           " (moved or reordered)");
                        break;
                    }
                } catch (const LedgerError& ex) {
                    fail(expected, std::string("stored bytes are ") + ex.what());
                    break;
                }
                previous = chained;
                ++expected;
            }
        }
        *session << "COMMIT", now;
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot verify ledger " + file_.string() + ": " + describe(ex));
    }
    result.headHash = toHex(previous);
    return result;
}

std::vector<LedgerEntry> Ledger::entries(std::uint64_t fromIndex, std::uint64_t limit) const {
    std::vector<LedgerEntry> result;
    if (limit == 0) return result;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<Poco::Int64>::max());
    Poco::Int64 from = static_cast<Poco::Int64>(std::min(std::max<std::uint64_t>(fromIndex, 1), kMax));
    Poco::Int64 count = static_cast<Poco::Int64>(std::min(limit, kMax));
    std::vector<Poco::Int64> indices;
    std::vector<BLOB> stored;
    try {
        std::lock_guard lock(mutex_);
        *session_ << "SELECT idx, entry FROM ledger_entries WHERE idx >= ? ORDER BY idx LIMIT ?", use(from),
            use(count), into(indices), into(stored), now;
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot read ledger " + file_.string() + ": " + describe(ex));
    }
    result.reserve(indices.size());
    for (std::size_t row = 0; row < indices.size(); ++row) {
        const std::string where = "ledger " + file_.string() + ", entry " + std::to_string(indices[row]);
        LedgerEntry entry;
        try {
            entry = parseEntry(view(stored[row]));
        } catch (const LedgerError& ex) {
            throw LedgerError(where + ": stored bytes are " + ex.what() + "; run the ledger verification");
        }
        if (static_cast<Poco::Int64>(entry.index) != indices[row]) {
            throw LedgerError(where + ": content names another index; run the ledger verification");
        }
        result.push_back(std::move(entry));
    }
    return result;
}

std::string Ledger::headHash() const {
    std::vector<BLOB> hash;
    try {
        std::lock_guard lock(mutex_);
        *session_ << "SELECT chain_hash FROM ledger_entries ORDER BY idx DESC LIMIT 1", into(hash), now;
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot read ledger " + file_.string() + ": " + describe(ex));
    }
    if (hash.empty()) return toHex(kGenesisHash);
    return toHex(std::span<const std::uint8_t>(hash.front().rawContent(), hash.front().size()));
}

std::uint64_t Ledger::size() const {
    Poco::Int64 newest = 0;
    try {
        std::lock_guard lock(mutex_);
        *session_ << "SELECT COALESCE(MAX(idx), 0) FROM ledger_entries", into(newest), now;
    } catch (const Poco::Exception& ex) {
        throw LedgerError("cannot read ledger " + file_.string() + ": " + describe(ex));
    }
    return newest < 0 ? 0 : static_cast<std::uint64_t>(newest);
}

}  // namespace passerelle::ledger
