#pragma once
// What the state's table groups (outbox, inbox, objections, job state, instance
// locks) share: the one database, and how a failed statement (a db::DatabaseError,
// its message already described) becomes a StoreError naming the store and what it
// could not do. For the store's own files only.

#include "common/errors.h"
#include "database/database.h"
#include "database/migrations.h"
#include "store/state_records.h"

#include <memory>
#include <string>

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

}  // namespace passerelle::store
