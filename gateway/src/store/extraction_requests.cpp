#include "store/extraction_requests.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include "common/errors.h"
#include "store/sqlite_session.h"

using namespace Poco::Data::Keywords;

namespace passerelle::store {

ExtractionRequests::ExtractionRequests(const std::filesystem::path& sqliteFile)
    : file_(sqliteFile), session_(openStateDatabase(sqliteFile)) {
    try {
        // Both the request id and the nonce are unique: either one seen again is a replay.
        session_ << "CREATE TABLE IF NOT EXISTS extraction_requests ("
                    " request_id TEXT PRIMARY KEY, nonce TEXT NOT NULL UNIQUE, requester TEXT NOT NULL,"
                    " purpose TEXT NOT NULL, exit_from TEXT NOT NULL, exit_to TEXT NOT NULL,"
                    " issued_at TEXT NOT NULL, received_at TEXT NOT NULL, outcome TEXT NOT NULL,"
                    " batch_id TEXT NOT NULL DEFAULT '')",
            now;
        session_
            << "CREATE INDEX IF NOT EXISTS extraction_requests_received ON extraction_requests (received_at)",
            now;
    } catch (const Poco::Exception& e) {
        throwStoreError(file_, "create the extraction_requests table", e);
    }
}

bool ExtractionRequests::admit(const ExtractionRequestRow& r) {
    std::lock_guard lock(mutex_);
    try {
        // INSERT OR IGNORE is the check and the insert at once: SQLite serialises
        // writers, so a second identical request finds the row and inserts nothing.
        Poco::Data::Statement insert(session_);
        insert
            << "INSERT OR IGNORE INTO extraction_requests (request_id, nonce, requester, purpose, exit_from,"
               " exit_to, issued_at, received_at, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'admitted')",
            useRef(r.requestId), useRef(r.nonce), useRef(r.requester), useRef(r.purpose), useRef(r.exitFrom),
            useRef(r.exitTo), useRef(r.issuedAt), useRef(r.receivedAt);
        return insert.execute() > 0;
    } catch (const Poco::Exception& e) {
        throwStoreError(file_, "record an extraction request", e);
    }
}

void ExtractionRequests::recordOutcome(const std::string& requestId, const std::string& outcome,
                                       const std::string& batchId) {
    std::lock_guard lock(mutex_);
    try {
        session_ << "UPDATE extraction_requests SET outcome = ?, batch_id = ? WHERE request_id = ?",
            useRef(outcome), useRef(batchId), useRef(requestId), now;
    } catch (const Poco::Exception& e) {
        throwStoreError(file_, "record what became of an extraction request", e);
    }
}

std::optional<ExtractionRequestRow> ExtractionRequests::find(const std::string& requestId) {
    std::lock_guard lock(mutex_);
    try {
        Poco::Data::Statement select(session_);
        std::string id = requestId;
        select << "SELECT request_id, nonce, requester, purpose, exit_from, exit_to, issued_at, received_at,"
                  " outcome, batch_id FROM extraction_requests WHERE request_id = ?",
            use(id);
        select.execute();
        Poco::Data::RecordSet rs(select);
        if (rs.rowCount() == 0) return std::nullopt;
        auto cell = [&rs](std::size_t column) { return rs.value(column, 0).convert<std::string>(); };
        return ExtractionRequestRow{cell(0), cell(1), cell(2), cell(3), cell(4),
                                    cell(5), cell(6), cell(7), cell(8), cell(9)};
    } catch (const Poco::Exception& e) {
        throwStoreError(file_, "read the extraction requests", e);
    }
}

std::uint64_t ExtractionRequests::forgetReceivedBefore(const std::string& utcTime) {
    std::lock_guard lock(mutex_);
    try {
        // RFC 3339 UTC times of one format compare as text.
        Poco::Data::Statement remove(session_);
        remove << "DELETE FROM extraction_requests WHERE received_at < ?", useRef(utcTime);
        return remove.execute();
    } catch (const Poco::Exception& e) {
        throwStoreError(file_, "forget old extraction requests", e);
    }
}

}  // namespace passerelle::store
