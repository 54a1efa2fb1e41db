#include "store/inbox.h"

#include <algorithm>

namespace passerelle::store {

namespace {

using db::ColumnType;

const char* inboxStatusName(InboxStatus s) { return s == InboxStatus::Stored ? "stored" : "delivered"; }

const std::string kInboxColumns =
    "batch_id, sender, purpose, record_count, payload_digest, received_at, receipt, receipt_signature, "
    "status, sink_attempts, sink_error, delivered_at, files_at, sink_owner, sink_claimed_until";
// kInboxColumns' types, in its order.
const std::vector<ColumnType> kInboxTypes = {
    ColumnType::Text, ColumnType::Text,    ColumnType::Text, ColumnType::Integer,  // batch_id … record_count
    ColumnType::Text, ColumnType::Text,    ColumnType::Text, ColumnType::Text,     // payload_digest … receipt_signature
    ColumnType::Text, ColumnType::Integer, ColumnType::Text, ColumnType::Text,     // status … delivered_at
    ColumnType::Text, ColumnType::Text,    ColumnType::Integer};                   // files_at … sink_claimed_until

// The inbox rows `rest` (WHERE…, ORDER BY…) selects.
std::vector<InboxBatch> selectInbox(db::Connection& c, const std::string& rest, const db::Values& params = {}) {
    const db::Rows rows = c.query("SELECT " + kInboxColumns + " FROM inbox " + rest, kInboxTypes, params);
    std::vector<InboxBatch> out;
    out.reserve(rows.size());
    for (std::size_t row = 0; row < rows.size(); ++row) {
        InboxBatch b;
        b.batchId = rows.text(row, 0);
        b.sender = rows.text(row, 1);
        b.purpose = rows.text(row, 2);
        b.recordCount = static_cast<std::uint64_t>(rows.integer(row, 3));
        b.payloadDigest = rows.text(row, 4);
        b.receivedAt = rows.text(row, 5);
        b.receipt = rows.text(row, 6);
        b.receiptSignature = rows.text(row, 7);
        b.status = rows.text(row, 8) == "delivered" ? InboxStatus::Delivered : InboxStatus::Stored;
        b.sinkAttempts = static_cast<std::uint32_t>(rows.integer(row, 9));
        b.sinkError = rows.text(row, 10);
        b.deliveredAt = rows.text(row, 11);
        b.filesFolderId = rows.text(row, 12);
        b.sinkOwner = rows.text(row, 13);
        b.sinkClaimedUntil = rows.integer(row, 14);
        out.push_back(std::move(b));
    }
    return out;
}

}  // namespace

InboxBatch Inbox::addToInbox(const InboxBatch& b) {
    return inTransaction("add a batch to the inbox", [&](db::Connection& c) {
        c.execute("INSERT INTO inbox (batch_id, sender, purpose, record_count, payload_digest,"
                  " received_at, receipt, receipt_signature, status, files_at)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING",
                  {b.batchId, b.sender, b.purpose, static_cast<std::int64_t>(b.recordCount), b.payloadDigest,
                   b.receivedAt, b.receipt, b.receiptSignature, inboxStatusName(b.status), b.filesFolderId});
        return selectInbox(c, "WHERE batch_id = ?", {b.batchId}).at(0);
    });
}

std::optional<InboxBatch> Inbox::inboxBatch(const std::string& batchId) {
    return guarded("read the inbox", [&](db::Connection& c) -> std::optional<InboxBatch> {
        auto rows = selectInbox(c, "WHERE batch_id = ?", {batchId});
        if (rows.empty()) return std::nullopt;
        return rows.front();
    });
}

std::vector<InboxBatch> Inbox::awaitingSink() {
    return guarded("read the inbox", [&](db::Connection& c) {
        return selectInbox(c, "WHERE status = 'stored' ORDER BY received_at, batch_id");
    });
}

std::vector<InboxBatch> Inbox::claimAwaitingSink(const Claim& claim, std::size_t max) {
    if (max == 0) return {};
    const ClaimQuery query{"inbox", "sink_owner", "sink_claimed_until",
                           "status = 'stored' AND (files_at = '' OR files_at = ?)", {claim.filesFolderId},
                           "sink_attempts, received_at, batch_id"};
    return inTransaction("claim inbox batches for the sink", [&](db::Connection& c) {
        return claimRows<InboxBatch>(c, query, claim, max, selectInbox, [](InboxBatch& b) {
            return LeaseFields{b.sinkOwner, b.sinkClaimedUntil, b.batchId};
        });
    });
}

std::vector<InboxBatch> Inbox::all() {
    return guarded("read the inbox", [&](db::Connection& c) { return selectInbox(c, "ORDER BY received_at, batch_id"); });
}

void Inbox::recordSinkFailure(const std::string& batchId, const std::string& error) {
    guarded("record a sink failure", [&](db::Connection& c) {
        c.execute("UPDATE inbox SET sink_attempts = sink_attempts + 1, sink_error = ?, sink_owner = '',"
                  " sink_claimed_until = 0 WHERE batch_id = ?",
                  {error, batchId});
    });
}

void Inbox::recordSinkDelivery(const std::string& batchId, const std::string& deliveredAt) {
    guarded("record a sink delivery", [&](db::Connection& c) {
        c.execute("UPDATE inbox SET status = 'delivered', sink_attempts = sink_attempts + 1,"
                  " sink_error = '', delivered_at = ?, sink_owner = '', sink_claimed_until = 0"
                  " WHERE batch_id = ?",
                  {deliveredAt, batchId});
    });
}

std::vector<Inbox::Summary> Inbox::inboxSummary() {
    return guarded("read the inbox", [&](db::Connection& c) {
        const db::Rows rows =
            c.query("SELECT sender, COUNT(*) FILTER (WHERE status = 'stored'),"
                    " COUNT(*) FILTER (WHERE status = 'delivered'),"
                    " COALESCE(MIN(CASE WHEN status = 'stored' THEN received_at END), ''), MAX(received_at),"
                    " COALESCE(MAX(CASE WHEN status = 'stored' THEN sink_error END), '')"
                    " FROM inbox GROUP BY sender ORDER BY sender",
                    {ColumnType::Text, ColumnType::Integer, ColumnType::Integer, ColumnType::Text, ColumnType::Text,
                     ColumnType::Text});
        std::vector<Summary> out;
        for (std::size_t row = 0; row < rows.size(); ++row) {
            Summary s;
            s.sender = rows.text(row, 0);
            s.awaitingSink = static_cast<std::uint64_t>(rows.integer(row, 1));
            s.delivered = static_cast<std::uint64_t>(rows.integer(row, 2));
            s.oldestAwaitingAt = rows.text(row, 3);
            s.lastReceivedAt = rows.text(row, 4);
            s.sinkError = rows.text(row, 5);
            out.push_back(std::move(s));
        }
        return out;
    });
}

}  // namespace passerelle::store
