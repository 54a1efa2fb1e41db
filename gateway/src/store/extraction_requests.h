#pragma once
// The extraction requests an institution's gateway has admitted (docs/extraction.md):
// their request id and nonce, so that the same signed request is served once
// only, even after a restart, and by one instance only. A table of the gateway's
// state database (the StateStore's db::Database).
// No personal data: ids, parties, a purpose, an exit-date window, a batch id.

#include "database/database.h"
#include "database/migrations.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace passerelle::store {

struct ExtractionRequestRow {
    std::string requestId;  // 32 lower-case hex
    std::string nonce;      // 32 lower-case hex
    std::string requester;  // the requesting party (the Region)
    std::string purpose;
    std::string exitFrom;    // ISO date, inclusive
    std::string exitTo;      // ISO date, inclusive
    std::string issuedAt;    // as the request says, RFC 3339 UTC
    std::string receivedAt;  // this gateway's clock, RFC 3339 UTC
    std::string outcome;     // admitted, served, failed
    std::string batchId;     // empty when none was sealed
};

class ExtractionRequests {
public:
    // Opens the table on the database, creating it when missing; throws StoreError naming it.
    explicit ExtractionRequests(std::shared_ptr<db::Database> database);
    explicit ExtractionRequests(const std::filesystem::path& sqliteFile);

    // Records the request with outcome "admitted" unless its request id or its nonce
    // is already known, in one statement: of two identical requests, even from two
    // processes, exactly one is admitted. False means a replay.
    bool admit(const ExtractionRequestRow& request);
    // What became of an admitted request ("served" or "failed") and the batch it sealed.
    void recordOutcome(const std::string& requestId, const std::string& outcome, const std::string& batchId);
    std::optional<ExtractionRequestRow> find(const std::string& requestId);
    // Forgets requests received before `utcTime` (RFC 3339 UTC): once a request is older
    // than the freshness window allows, its nonce no longer needs remembering. Returns
    // how many were dropped.
    std::uint64_t forgetReceivedBefore(const std::string& utcTime);

private:
    template <typename Fn>
    auto guarded(const char* what, Fn&& fn);

    std::shared_ptr<db::Database> db_;
};

// The table and its migrations (db::migrate, part "extraction_requests").
const db::Schema& extractionRequestsSchema();

}  // namespace passerelle::store
