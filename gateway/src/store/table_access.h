#pragma once
// What the state's table groups (outbox, inbox, objections, job state, instance
// locks) share: the one database, and how a failed statement (a db::DatabaseError,
// its message already described) becomes a StoreError naming the store and what it
// could not do. For the store's own files only.

#include "common/errors.h"
#include "database/database.h"
#include "database/migrations.h"
#include "store/state_records.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace passerelle::store {

class TableAccess {
protected:
    explicit TableAccess(std::shared_ptr<db::Database> database) : db_(std::move(database)) {}

    template <typename Fn>
    auto guarded(const char* what, Fn&& fn) {
        try {
            return db_->withConnection(fn);
        } catch (const db::DatabaseError& e) {
            throw StoreError("state store " + db_->name() + ": cannot " + what + ": " + e.what());
        }
    }

    // A read-then-update (a claim) is atomic against every other process: SQLite's
    // BEGIN IMMEDIATE takes the file's write lock; PostgreSQL locks the rows read FOR UPDATE.
    template <typename Fn>
    auto inTransaction(const char* what, Fn&& fn) {
        try {
            return db_->transaction(fn);
        } catch (const db::DatabaseError& e) {
            throw StoreError("state store " + db_->name() + ": cannot " + what + ": " + e.what());
        }
    }

    std::shared_ptr<db::Database> db_;
};

// Claims shared by the outbox and the inbox (store/claims.cpp).
// A claim held by this very process is not free either: one of its workers is sending the batch.
bool claimIsFree(const std::string& owner, std::int64_t until, const Claim& claim);

// A claim is taken in two passes, so that the rows other workers are sending never
// fill the LIMIT: first the rows whose live lease is held by a process of this host
// (few: what this host is sending now), of which those of dead processes are free at
// once; then, up to what is still wanted, the rows without a live claim.
enum class ClaimPass { ThisHost, Free };

// The pass's condition on the claim columns; `?` parameters: the LIKE pattern of this
// host's owners and now (ThisHost), or now (Free).
std::string claimCondition(ClaimPass pass, const std::string& owner, const std::string& until);
// This host's claim owners as a LIKE pattern ("host:%", with ! escapes).
std::string thisHostPattern();

// Which rows of which table a claim takes (the outbox's due batches, the inbox's
// batches awaiting the sink).
struct ClaimQuery {
    const char* table;     // "outbox", "inbox"
    const char* owner;     // its claim-owner column
    const char* until;     // its lease-end column (unix seconds)
    std::string where;     // the rows wanted, whoever holds them; `?` bound by whereParams
    db::Values whereParams;
    std::string orderBy;
};

// A row's claim fields, as claimRows reads and sets them.
struct LeaseFields {
    std::string& owner;
    std::int64_t& until;
    const std::string& batchId;
};

// Claims up to `max` rows of `query`, in both passes, inside the caller's transaction
// on `c`: `select(c, rest, params)` reads the rows (`rest`: WHERE … ORDER BY …), and
// `lease(row)` gives a row's claim fields. The rows come back claimed (owner and lease set).
template <typename Row, typename Select, typename Lease>
std::vector<Row> claimRows(db::Connection& c, const ClaimQuery& query, const Claim& claim, std::size_t max,
                           Select select, Lease lease) {
    std::vector<Row> claimed;
    for (const ClaimPass pass : {ClaimPass::ThisHost, ClaimPass::Free}) {
        if (claimed.size() >= max) break;
        db::Values params = query.whereParams;
        if (pass == ClaimPass::ThisHost) params.emplace_back(thisHostPattern());
        params.emplace_back(claim.now);
        if (pass == ClaimPass::Free) {
            params.emplace_back(static_cast<std::int64_t>(std::min<std::size_t>(max - claimed.size(), INT32_MAX)));
        }
        const std::string rest = "WHERE " + query.where + " AND " + claimCondition(pass, query.owner, query.until) +
                                 " ORDER BY " + query.orderBy + (pass == ClaimPass::Free ? " LIMIT ?" : "") +
                                 (c.postgres() ? " FOR UPDATE SKIP LOCKED" : "");
        for (Row& row : select(c, rest, params)) {
            const LeaseFields fields = lease(row);
            if (claimed.size() >= max || !claimIsFree(fields.owner, fields.until, claim)) continue;
            fields.owner = claim.owner;
            fields.until = claim.now + claim.leaseSeconds;
            c.execute(std::string("UPDATE ") + query.table + " SET " + query.owner + " = ?, " + query.until +
                          " = ? WHERE batch_id = ?",
                      {fields.owner, fields.until, fields.batchId});
            claimed.push_back(std::move(row));
        }
    }
    return claimed;
}

}  // namespace passerelle::store
