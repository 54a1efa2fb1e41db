#include "store/objections.h"

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

bool Objections::addObjection(const Objection& o) {
    return guarded("record an objection", [&](Poco::Data::Session& session) {
        Poco::Data::Statement insert(session);
        insert << db_->sql("INSERT INTO objections (purpose, pseudonym, created_at) VALUES (?, ?, ?)"
                           " ON CONFLICT (purpose, pseudonym) DO NOTHING"),
            useRef(o.purpose), useRef(o.pseudonym), useRef(o.createdAt);
        return insert.execute() > 0;
    });
}

bool Objections::removeObjection(const std::string& purpose, const std::string& pseudonym) {
    return guarded("remove an objection", [&](Poco::Data::Session& session) {
        Poco::Data::Statement remove(session);
        remove << db_->sql("DELETE FROM objections WHERE purpose = ? AND pseudonym = ?"), useRef(purpose),
            useRef(pseudonym);
        return remove.execute() > 0;
    });
}

bool Objections::rekeyObjection(const std::string& purpose, const std::string& from, const std::string& to) {
    // One transaction, so the objection is never absent under both pseudonyms.
    return inTransaction("re-key an objection", [&](Poco::Data::Session& session) {
        Poco::Int64 already = 0;
        session << db_->sql("SELECT COUNT(*) FROM objections WHERE purpose = ? AND pseudonym = ?"), useRef(purpose),
            useRef(to), into(already), now;
        if (already > 0) {  // `to` was already recorded: `from` is redundant
            session << db_->sql("DELETE FROM objections WHERE purpose = ? AND pseudonym = ?"), useRef(purpose),
                useRef(from), now;
            return false;
        }
        Poco::Data::Statement update(session);
        update << db_->sql("UPDATE objections SET pseudonym = ? WHERE purpose = ? AND pseudonym = ?"), useRef(to),
            useRef(purpose), useRef(from);
        return update.execute() > 0;
    });
}

std::vector<Objection> Objections::all(const std::optional<std::string>& purpose) {
    return guarded("read the objections", [&](Poco::Data::Session& session) {
        Poco::Data::Statement select(session);
        std::string p = purpose.value_or("");
        select << db_->sql(std::string("SELECT purpose, pseudonym, created_at FROM objections") +
                           (purpose ? " WHERE purpose = ?" : "") + " ORDER BY created_at, purpose, pseudonym");
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

PseudonymSet Objections::objectionSet(const std::string& purpose) {
    PseudonymSet set;
    for (Objection& o : all(purpose)) set.insert(std::move(o.pseudonym));
    return set;
}

}  // namespace passerelle::store
