#include "store/inbox.h"

#include <Poco/Data/DataException.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Nullable.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <tuple>

using namespace Poco::Data::Keywords;

namespace passerelle::store {

namespace {

const char* inboxStatusName(InboxStatus s) { return s == InboxStatus::Stored ? "stored" : "delivered"; }

const std::string kInboxColumns =
    "batch_id, sender, purpose, record_count, payload_digest, received_at, receipt, receipt_signature, "
    "status, sink_attempts, sink_error, delivered_at, files_at, sink_owner, sink_claimed_until";

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
        b.filesFolderId = rs.value(12, row).convert<std::string>();
        b.sinkOwner = rs.value(13, row).convert<std::string>();
        b.sinkClaimedUntil = rs.value(14, row).convert<std::int64_t>();
        out.push_back(std::move(b));
    }
    return out;
}

}  // namespace

InboxBatch Inbox::addToInbox(const InboxBatch& b) {
    return inTransaction("add a batch to the inbox", [&](Poco::Data::Session& session) {
        std::string status = inboxStatusName(b.status);
        Poco::Int64 count = static_cast<Poco::Int64>(b.recordCount);
        session << db_->sql("INSERT INTO inbox (batch_id, sender, purpose, record_count, payload_digest,"
                            " received_at, receipt, receipt_signature, status, files_at)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING"),
            useRef(b.batchId), useRef(b.sender), useRef(b.purpose), use(count), useRef(b.payloadDigest),
            useRef(b.receivedAt), useRef(b.receipt), useRef(b.receiptSignature), use(status), useRef(b.filesFolderId), now;
        Poco::Data::Statement select(session);
        std::string id = b.batchId;
        select << db_->sql("SELECT " + kInboxColumns + " FROM inbox WHERE batch_id = ?"), use(id);
        return readInbox(select).at(0);
    });
}

std::optional<InboxBatch> Inbox::inboxBatch(const std::string& batchId) {
    return guarded("read the inbox", [&](Poco::Data::Session& session) -> std::optional<InboxBatch> {
        Poco::Data::Statement select(session);
        std::string id = batchId;
        select << db_->sql("SELECT " + kInboxColumns + " FROM inbox WHERE batch_id = ?"), use(id);
        auto rows = readInbox(select);
        if (rows.empty()) return std::nullopt;
        return rows.front();
    });
}

std::vector<InboxBatch> Inbox::awaitingSink() {
    return guarded("read the inbox", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        select << "SELECT " + kInboxColumns + " FROM inbox WHERE status = 'stored' ORDER BY received_at, batch_id";
        return readInbox(select);
    });
}

std::vector<InboxBatch> Inbox::claimAwaitingSink(const Claim& claim, std::size_t max) {
    if (max == 0) return {};
    return inTransaction("claim inbox batches for the sink", [&](Poco::Data::Session& session) {
        std::vector<InboxBatch> claimed;
        for (const ClaimPass pass : {ClaimPass::ThisHost, ClaimPass::Free}) {
            if (claimed.size() >= max) break;
            Poco::Data::Statement select(session);
            Poco::Int64 nowSeconds = claim.now;
            Poco::Int64 limit = static_cast<Poco::Int64>(std::min<std::size_t>(max - claimed.size(), INT32_MAX));
            std::string filesFolderId = claim.filesFolderId, host = thisHostPattern();
            select << db_->sql("SELECT " + kInboxColumns +
                               " FROM inbox WHERE status = 'stored' AND (files_at = '' OR files_at = ?) AND " +
                               claimCondition(pass, "sink_owner", "sink_claimed_until") +
                               " ORDER BY sink_attempts, received_at, batch_id" +
                               (pass == ClaimPass::Free ? " LIMIT ?" : "") +
                               (db_->postgres() ? " FOR UPDATE SKIP LOCKED" : "")),
                use(filesFolderId);
            if (pass == ClaimPass::ThisHost) select, use(host);
            select, use(nowSeconds);
            if (pass == ClaimPass::Free) select, use(limit);
            for (InboxBatch& b : readInbox(select)) {
                if (claimed.size() >= max || !claimIsFree(b.sinkOwner, b.sinkClaimedUntil, claim)) continue;
                b.sinkOwner = claim.owner;
                b.sinkClaimedUntil = claim.now + claim.leaseSeconds;
                session << db_->sql("UPDATE inbox SET sink_owner = ?, sink_claimed_until = ? WHERE batch_id = ?"),
                    useRef(b.sinkOwner), use(b.sinkClaimedUntil), useRef(b.batchId), now;
                claimed.push_back(std::move(b));
            }
        }
        return claimed;
    });
}

std::vector<InboxBatch> Inbox::all() {
    return guarded("read the inbox", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        select << "SELECT " + kInboxColumns + " FROM inbox ORDER BY received_at, batch_id";
        return readInbox(select);
    });
}

void Inbox::recordSinkFailure(const std::string& batchId, const std::string& error) {
    guarded("record a sink failure", [&](Poco::Data::Session& session) {
        session << db_->sql("UPDATE inbox SET sink_attempts = sink_attempts + 1, sink_error = ?, sink_owner = '',"
                            " sink_claimed_until = 0 WHERE batch_id = ?"),
            useRef(error), useRef(batchId), now;
    });
}

void Inbox::recordSinkDelivery(const std::string& batchId, const std::string& deliveredAt) {
    guarded("record a sink delivery", [&](Poco::Data::Session& session) {
        session << db_->sql("UPDATE inbox SET status = 'delivered', sink_attempts = sink_attempts + 1,"
                            " sink_error = '', delivered_at = ?, sink_owner = '', sink_claimed_until = 0"
                            " WHERE batch_id = ?"),
            useRef(deliveredAt), useRef(batchId), now;
    });
}

std::vector<Inbox::Summary> Inbox::inboxSummary() {
    return guarded("read the inbox", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        select << "SELECT sender, COUNT(*) FILTER (WHERE status = 'stored'),"
                  " COUNT(*) FILTER (WHERE status = 'delivered'),"
                  " COALESCE(MIN(CASE WHEN status = 'stored' THEN received_at END), ''), MAX(received_at),"
                  " COALESCE(MAX(CASE WHEN status = 'stored' THEN sink_error END), '')"
                  " FROM inbox GROUP BY sender ORDER BY sender";
        select.execute();
        Poco::Data::RecordSet rs(select);
        std::vector<Summary> out;
        for (std::size_t row = 0; row < rs.rowCount(); ++row) {
            Summary s;
            s.sender = rs.value(0, row).convert<std::string>();
            s.awaitingSink = rs.value(1, row).convert<std::uint64_t>();
            s.delivered = rs.value(2, row).convert<std::uint64_t>();
            s.oldestAwaitingAt = rs.value(3, row).convert<std::string>();
            s.lastReceivedAt = rs.value(4, row).convert<std::string>();
            s.sinkError = rs.value(5, row).convert<std::string>();
            out.push_back(std::move(s));
        }
        return out;
    });
}

}  // namespace passerelle::store
