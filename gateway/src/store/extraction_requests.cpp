#include "store/extraction_requests.h"

#include "common/errors.h"
#include "database/migrations.h"

namespace passerelle::store {
namespace {

void createRequestsTable(db::Connection& c) {
    // Both the request id and the nonce are unique: either one seen again is a replay.
    c.execute("CREATE TABLE IF NOT EXISTS extraction_requests ("
               " request_id TEXT PRIMARY KEY, nonce TEXT NOT NULL UNIQUE, requester TEXT NOT NULL,"
               " purpose TEXT NOT NULL, exit_from TEXT NOT NULL, exit_to TEXT NOT NULL,"
               " issued_at TEXT NOT NULL, received_at TEXT NOT NULL, outcome TEXT NOT NULL,"
               " batch_id TEXT NOT NULL DEFAULT '')");
    c.execute("CREATE INDEX IF NOT EXISTS extraction_requests_received ON extraction_requests (received_at)");
}

}  // namespace

const db::Schema& extractionRequestsSchema() {
    static const db::Schema schema{
        "extraction_requests",
        {{1, "extraction requests admitted (ids and nonces, for replay protection)", createRequestsTable}},
        {"GRANT SELECT, INSERT, UPDATE, DELETE ON extraction_requests TO " + std::string(db::kGatewayRole)}};
    return schema;
}

template <typename Fn>
auto ExtractionRequests::guarded(const char* what, Fn&& fn) {
    try {
        return db_->withConnection(fn);
    } catch (const db::DatabaseError& e) {
        throw StoreError("state store " + db_->name() + ": cannot " + what + ": " + e.what());
    }
}

ExtractionRequests::ExtractionRequests(std::shared_ptr<db::Database> database) : db_(std::move(database)) {
    db::migrate(*db_, extractionRequestsSchema());
}

ExtractionRequests::ExtractionRequests(const std::filesystem::path& sqliteFile)
    : ExtractionRequests(std::make_shared<db::Database>(db::Location::sqlite(sqliteFile))) {}

bool ExtractionRequests::admit(const ExtractionRequestRow& r) {
    return guarded("record an extraction request", [&](db::Connection& c) {
        // The check and the insert at once: of two identical requests, even from two
        // processes or instances, the unique keys let exactly one row in.
        return c.execute("INSERT INTO extraction_requests (request_id, nonce, requester, purpose, exit_from,"
                         " exit_to, issued_at, received_at, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'admitted')"
                         " ON CONFLICT DO NOTHING",
                         {r.requestId, r.nonce, r.requester, r.purpose, r.exitFrom, r.exitTo, r.issuedAt,
                          r.receivedAt}) > 0;
    });
}

void ExtractionRequests::recordOutcome(const std::string& requestId, const std::string& outcome,
                                       const std::string& batchId) {
    guarded("record what became of an extraction request", [&](db::Connection& c) {
        c.execute("UPDATE extraction_requests SET outcome = ?, batch_id = ? WHERE request_id = ?",
                  {outcome, batchId, requestId});
    });
}

std::optional<ExtractionRequestRow> ExtractionRequests::find(const std::string& requestId) {
    return guarded("read the extraction requests", [&](db::Connection& c) -> std::optional<ExtractionRequestRow> {
        const db::Rows rows = c.query("SELECT request_id, nonce, requester, purpose, exit_from, exit_to, issued_at,"
                                      " received_at, outcome, batch_id FROM extraction_requests WHERE request_id = ?",
                                      std::vector<db::ColumnType>(10, db::ColumnType::Text), {requestId});
        if (rows.empty()) return std::nullopt;
        auto cell = [&rows](std::size_t column) { return rows.text(0, column); };
        return ExtractionRequestRow{cell(0), cell(1), cell(2), cell(3), cell(4),
                                    cell(5), cell(6), cell(7), cell(8), cell(9)};
    });
}

std::uint64_t ExtractionRequests::forgetReceivedBefore(const std::string& utcTime) {
    return guarded("forget old extraction requests", [&](db::Connection& c) -> std::uint64_t {
        // RFC 3339 UTC times of one format compare as text.
        return c.execute("DELETE FROM extraction_requests WHERE received_at < ?", {utcTime});
    });
}

}  // namespace passerelle::store
