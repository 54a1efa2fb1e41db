#pragma once
// The institution's objections (GDPR art. 21): per purpose, the trainee's pseudonym
// in that purpose's domain, never the id it was computed from (docs/privacy.md).
#include "store/table_access.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace passerelle::store {

class Objections : TableAccess {
public:
    explicit Objections(std::shared_ptr<db::Database> database) : TableAccess(std::move(database)) {}

    // Returns false when the objection was already recorded.
    bool addObjection(const Objection& objection);
    // Returns false when there was no such objection.
    bool removeObjection(const std::string& purpose, const std::string& pseudonym);
    // Moves an objection from one pseudonym of the trainee to another (after a pseudonym
    // key rotation: from the old epoch's to the current one's), keeping its date. Returns
    // false when `from` was not recorded, or `to` already was (then `from` is just dropped).
    bool rekeyObjection(const std::string& purpose, const std::string& from, const std::string& to);
    // All objections, or those of one purpose; oldest first.
    std::vector<Objection> all(const std::optional<std::string>& purpose = std::nullopt);
    // The purpose's objections as a set, loaded once per batch.
    PseudonymSet objectionSet(const std::string& purpose);

};

}  // namespace passerelle::store
