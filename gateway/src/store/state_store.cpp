#include "store/state_store.h"

#include "common/errors.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

using namespace Poco::Data::Keywords;

namespace passerelle::store {

namespace {

Poco::Data::Session openSession(const std::filesystem::path& file) {
    static std::once_flag registered;
    std::call_once(registered, [] { Poco::Data::SQLite::Connector::registerConnector(); });
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    return Poco::Data::Session("SQLite", file.string());
}

const char* outboxStatusName(OutboxStatus s) { return s == OutboxStatus::Pending ? "pending" : "receipted"; }
const char* inboxStatusName(InboxStatus s) { return s == InboxStatus::Stored ? "stored" : "delivered"; }

template <typename Fn>
auto guarded(const std::filesystem::path& file, const char* what, Fn&& fn) {
    try {
        return fn();
    } catch (const Poco::Exception& e) {
        throw StoreError(std::string("state store ") + file.string() + ": cannot " + what + ": " + e.displayText());
    }
}

constexpr const char* kOutboxColumns =
    "batch_id, recipient, purpose, job, record_count, payload_digest, created_at, status, attempts, "
    "last_error, receipt, receipt_signature, receipted_at";
constexpr const char* kInboxColumns =
    "batch_id, sender, purpose, record_count, payload_digest, received_at, receipt, receipt_signature, "
    "status, sink_attempts, sink_error, delivered_at";

std::vector<OutboxBatch> readOutbox(Poco::Data::Statement& select) {
    select.execute();
    Poco::Data::RecordSet rs(select);
    std::vector<OutboxBatch> out;
    for (std::size_t row = 0; row < rs.rowCount(); ++row) {
        OutboxBatch b;
        b.batchId = rs.value(0, row).convert<std::string>();
        b.recipient = rs.value(1, row).convert<std::string>();
        b.purpose = rs.value(2, row).convert<std::string>();
        b.job = rs.value(3, row).convert<std::string>();
        b.recordCount = rs.value(4, row).convert<std::uint64_t>();
        b.payloadDigest = rs.value(5, row).convert<std::string>();
        b.createdAt = rs.value(6, row).convert<std::string>();
        b.status = rs.value(7, row).convert<std::string>() == "receipted" ? OutboxStatus::Receipted
                                                                          : OutboxStatus::Pending;
        b.attempts = rs.value(8, row).convert<std::uint32_t>();
        b.lastError = rs.value(9, row).convert<std::string>();
        b.receipt = rs.value(10, row).convert<std::string>();
        b.receiptSignature = rs.value(11, row).convert<std::string>();
        b.receiptedAt = rs.value(12, row).convert<std::string>();
        out.push_back(std::move(b));
    }
    return out;
}

std::vector<InboxBatch> readInbox(Poco::Data::Statement& select) {
    select.execute();
    Poco::Data::RecordSet rs(select);
    std::vector<InboxBatch> out;
    for (std::size_t row = 0; row < rs.rowCount(); ++row) {
        InboxBatch b;
        b.batchId = rs.value(0, row).convert<std::string>();
        b.sender = rs.value(1, row).convert<std::string>();
        b.purpose = rs.value(2, row).convert<std::string>();
        b.recordCount = rs.value(3, row).convert<std::uint64_t>();
        b.payloadDigest = rs.value(4, row).convert<std::string>();
        b.receivedAt = rs.value(5, row).convert<std::string>();
        b.receipt = rs.value(6, row).convert<std::string>();
        b.receiptSignature = rs.value(7, row).convert<std::string>();
        b.status = rs.value(8, row).convert<std::string>() == "delivered" ? InboxStatus::Delivered
                                                                         : InboxStatus::Stored;
        b.sinkAttempts = rs.value(9, row).convert<std::uint32_t>();
        b.sinkError = rs.value(10, row).convert<std::string>();
        b.deliveredAt = rs.value(11, row).convert<std::string>();
        out.push_back(std::move(b));
    }
    return out;
}

}  // namespace

StateStore::StateStore(const std::filesystem::path& sqliteFile)
    : file_(sqliteFile), session_(guarded(sqliteFile, "open", [&] { return openSession(sqliteFile); })) {
    guarded(file_, "create its tables", [&] {
        session_ << "PRAGMA journal_mode=WAL", now;
        session_ << "PRAGMA synchronous=FULL", now;
        session_ << "PRAGMA busy_timeout=10000", now;
        session_ << "CREATE TABLE IF NOT EXISTS outbox ("
                    " batch_id TEXT PRIMARY KEY, recipient TEXT NOT NULL, purpose TEXT NOT NULL,"
                    " job TEXT NOT NULL, record_count INTEGER NOT NULL, payload_digest TEXT NOT NULL,"
                    " created_at TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
                    " last_error TEXT NOT NULL DEFAULT '', receipt TEXT NOT NULL DEFAULT '',"
                    " receipt_signature TEXT NOT NULL DEFAULT '', receipted_at TEXT NOT NULL DEFAULT '')",
            now;
        session_ << "CREATE TABLE IF NOT EXISTS inbox ("
                    " batch_id TEXT PRIMARY KEY, sender TEXT NOT NULL, purpose TEXT NOT NULL,"
                    " record_count INTEGER NOT NULL, payload_digest TEXT NOT NULL, received_at TEXT NOT NULL,"
                    " receipt TEXT NOT NULL, receipt_signature TEXT NOT NULL, status TEXT NOT NULL,"
                    " sink_attempts INTEGER NOT NULL DEFAULT 0, sink_error TEXT NOT NULL DEFAULT '',"
                    " delivered_at TEXT NOT NULL DEFAULT '')",
            now;
        // Pseudonyms only, never the id they were computed from (docs/privacy.md).
        session_ << "CREATE TABLE IF NOT EXISTS objections ("
                    " purpose TEXT NOT NULL, pseudonym TEXT NOT NULL, created_at TEXT NOT NULL,"
                    " PRIMARY KEY (purpose, pseudonym))",
            now;
        return 0;
    });
}

void StateStore::addToOutbox(const OutboxBatch& b) {
    std::lock_guard lock(mutex_);
    guarded(file_, "add a batch to the outbox", [&] {
        std::string status = outboxStatusName(b.status);
        std::uint64_t count = b.recordCount;
        session_ << "INSERT INTO outbox (batch_id, recipient, purpose, job, record_count, payload_digest,"
                    " created_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            useRef(b.batchId), useRef(b.recipient), useRef(b.purpose), useRef(b.job), use(count),
            useRef(b.payloadDigest), useRef(b.createdAt), use(status), now;
        return 0;
    });
}

std::vector<OutboxBatch> StateStore::pendingFor(const std::string& recipient) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the outbox", [&] {
        Poco::Data::Statement select(session_);
        std::string r = recipient;
        select << "SELECT " << kOutboxColumns
               << " FROM outbox WHERE status = 'pending' AND recipient = ? ORDER BY created_at, batch_id",
            use(r);
        return readOutbox(select);
    });
}

std::optional<OutboxBatch> StateStore::outboxBatch(const std::string& batchId) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the outbox", [&]() -> std::optional<OutboxBatch> {
        Poco::Data::Statement select(session_);
        std::string id = batchId;
        select << "SELECT " << kOutboxColumns << " FROM outbox WHERE batch_id = ?", use(id);
        auto rows = readOutbox(select);
        if (rows.empty()) return std::nullopt;
        return rows.front();
    });
}

std::vector<OutboxBatch> StateStore::outbox() {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the outbox", [&] {
        Poco::Data::Statement select(session_);
        select << "SELECT " << kOutboxColumns << " FROM outbox ORDER BY created_at, batch_id";
        return readOutbox(select);
    });
}

void StateStore::recordAttemptFailure(const std::string& batchId, const std::string& error) {
    std::lock_guard lock(mutex_);
    guarded(file_, "record a delivery failure", [&] {
        session_ << "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE batch_id = ?", useRef(error),
            useRef(batchId), now;
        return 0;
    });
}

void StateStore::recordReceipt(const std::string& batchId, const std::string& receipt, const std::string& signature,
                               const std::string& receiptedAt) {
    std::lock_guard lock(mutex_);
    guarded(file_, "record a receipt", [&] {
        session_ << "UPDATE outbox SET status = 'receipted', attempts = attempts + 1, last_error = '',"
                    " receipt = ?, receipt_signature = ?, receipted_at = ? WHERE batch_id = ?",
            useRef(receipt), useRef(signature), useRef(receiptedAt), useRef(batchId), now;
        return 0;
    });
}

InboxBatch StateStore::addToInbox(const InboxBatch& b) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "add a batch to the inbox", [&] {
        std::string status = inboxStatusName(b.status);
        std::uint64_t count = b.recordCount;
        session_ << "INSERT OR IGNORE INTO inbox (batch_id, sender, purpose, record_count, payload_digest,"
                    " received_at, receipt, receipt_signature, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            useRef(b.batchId), useRef(b.sender), useRef(b.purpose), use(count), useRef(b.payloadDigest),
            useRef(b.receivedAt), useRef(b.receipt), useRef(b.receiptSignature), use(status), now;
        Poco::Data::Statement select(session_);
        std::string id = b.batchId;
        select << "SELECT " << kInboxColumns << " FROM inbox WHERE batch_id = ?", use(id);
        return readInbox(select).at(0);
    });
}

std::optional<InboxBatch> StateStore::inboxBatch(const std::string& batchId) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the inbox", [&]() -> std::optional<InboxBatch> {
        Poco::Data::Statement select(session_);
        std::string id = batchId;
        select << "SELECT " << kInboxColumns << " FROM inbox WHERE batch_id = ?", use(id);
        auto rows = readInbox(select);
        if (rows.empty()) return std::nullopt;
        return rows.front();
    });
}

std::vector<InboxBatch> StateStore::awaitingSink() {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the inbox", [&] {
        Poco::Data::Statement select(session_);
        select << "SELECT " << kInboxColumns << " FROM inbox WHERE status = 'stored' ORDER BY received_at, batch_id";
        return readInbox(select);
    });
}

std::vector<InboxBatch> StateStore::inbox() {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the inbox", [&] {
        Poco::Data::Statement select(session_);
        select << "SELECT " << kInboxColumns << " FROM inbox ORDER BY received_at, batch_id";
        return readInbox(select);
    });
}

void StateStore::recordSinkFailure(const std::string& batchId, const std::string& error) {
    std::lock_guard lock(mutex_);
    guarded(file_, "record a sink failure", [&] {
        session_ << "UPDATE inbox SET sink_attempts = sink_attempts + 1, sink_error = ? WHERE batch_id = ?",
            useRef(error), useRef(batchId), now;
        return 0;
    });
}

void StateStore::recordSinkDelivery(const std::string& batchId, const std::string& deliveredAt) {
    std::lock_guard lock(mutex_);
    guarded(file_, "record a sink delivery", [&] {
        session_ << "UPDATE inbox SET status = 'delivered', sink_attempts = sink_attempts + 1, sink_error = '',"
                    " delivered_at = ? WHERE batch_id = ?",
            useRef(deliveredAt), useRef(batchId), now;
        return 0;
    });
}

bool StateStore::addObjection(const Objection& o) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "record an objection", [&] {
        Poco::Data::Statement insert(session_);
        insert << "INSERT OR IGNORE INTO objections (purpose, pseudonym, created_at) VALUES (?, ?, ?)",
            useRef(o.purpose), useRef(o.pseudonym), useRef(o.createdAt);
        return insert.execute() > 0;
    });
}

bool StateStore::removeObjection(const std::string& purpose, const std::string& pseudonym) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "remove an objection", [&] {
        Poco::Data::Statement remove(session_);
        remove << "DELETE FROM objections WHERE purpose = ? AND pseudonym = ?", useRef(purpose), useRef(pseudonym);
        return remove.execute() > 0;
    });
}

bool StateStore::rekeyObjection(const std::string& purpose, const std::string& from, const std::string& to) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "re-key an objection", [&] {
        // One statement, so the objection is never absent under both pseudonyms.
        Poco::Data::Statement update(session_);
        update << "UPDATE OR IGNORE objections SET pseudonym = ? WHERE purpose = ? AND pseudonym = ?",
            useRef(to), useRef(purpose), useRef(from);
        const bool moved = update.execute() > 0;
        if (!moved) {  // `to` was already recorded: `from` is redundant
            Poco::Data::Statement remove(session_);
            remove << "DELETE FROM objections WHERE purpose = ? AND pseudonym = ?", useRef(purpose),
                useRef(from);
            remove.execute();
        }
        return moved;
    });
}

std::vector<Objection> StateStore::objections(const std::optional<std::string>& purpose) {
    std::lock_guard lock(mutex_);
    return guarded(file_, "read the objections", [&] {
        Poco::Data::Statement select(session_);
        std::string p = purpose.value_or("");
        select << "SELECT purpose, pseudonym, created_at FROM objections"
               << (purpose ? " WHERE purpose = ?" : "") << " ORDER BY created_at, purpose, pseudonym";
        if (purpose) select, use(p);
        select.execute();
        Poco::Data::RecordSet rs(select);
        std::vector<Objection> out;
        for (std::size_t row = 0; row < rs.rowCount(); ++row) {
            out.push_back({rs.value(0, row).convert<std::string>(), rs.value(1, row).convert<std::string>(),
                           rs.value(2, row).convert<std::string>()});
        }
        return out;
    });
}

PseudonymSet StateStore::objectionSet(const std::string& purpose) {
    PseudonymSet set;
    for (Objection& o : objections(purpose)) set.insert(std::move(o.pseudonym));
    return set;
}

}  // namespace passerelle::store
