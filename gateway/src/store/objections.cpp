#include "store/objections.h"

namespace passerelle::store {

bool Objections::addObjection(const Objection& o) {
    return guarded("record an objection", [&](db::Connection& c) {
        return c.execute("INSERT INTO objections (purpose, pseudonym, created_at) VALUES (?, ?, ?)"
                         " ON CONFLICT (purpose, pseudonym) DO NOTHING",
                         {o.purpose, o.pseudonym, o.createdAt}) > 0;
    });
}

bool Objections::removeObjection(const std::string& purpose, const std::string& pseudonym) {
    return guarded("remove an objection", [&](db::Connection& c) {
        return c.execute("DELETE FROM objections WHERE purpose = ? AND pseudonym = ?", {purpose, pseudonym}) > 0;
    });
}

bool Objections::rekeyObjection(const std::string& purpose, const std::string& from, const std::string& to) {
    // One transaction, so the objection is never absent under both pseudonyms.
    return inTransaction("re-key an objection", [&](db::Connection& c) {
        const std::int64_t already =
            c.integer("SELECT COUNT(*) FROM objections WHERE purpose = ? AND pseudonym = ?", {purpose, to});
        if (already > 0) {  // `to` was already recorded: `from` is redundant
            c.execute("DELETE FROM objections WHERE purpose = ? AND pseudonym = ?", {purpose, from});
            return false;
        }
        return c.execute("UPDATE objections SET pseudonym = ? WHERE purpose = ? AND pseudonym = ?",
                         {to, purpose, from}) > 0;
    });
}

std::vector<Objection> Objections::all(const std::optional<std::string>& purpose) {
    return guarded("read the objections", [&](db::Connection& c) {
        db::Values params;
        if (purpose) params.emplace_back(*purpose);
        const db::Rows rows = c.query(std::string("SELECT purpose, pseudonym, created_at FROM objections") +
                                          (purpose ? " WHERE purpose = ?" : "") +
                                          " ORDER BY created_at, purpose, pseudonym",
                                      {db::ColumnType::Text, db::ColumnType::Text, db::ColumnType::Text}, params);
        std::vector<Objection> out;
        out.reserve(rows.size());
        for (std::size_t row = 0; row < rows.size(); ++row) {
            out.push_back({rows.text(row, 0), rows.text(row, 1), rows.text(row, 2)});
        }
        return out;
    });
}

PseudonymSet Objections::objectionSet(const std::string& purpose) {
    PseudonymSet set;
    for (Objection& o : all(purpose)) set.insert(std::move(o.pseudonym));
    return set;
}

}  // namespace passerelle::store
