#include "store/sqlite_session.h"

#include "common/errors.h"

#include <Poco/Data/SQLite/Connector.h>

#include <mutex>
#include <system_error>

using namespace Poco::Data::Keywords;

namespace passerelle::store {

Poco::Data::Session openStateDatabase(const std::filesystem::path& file) {
    static std::once_flag registered;
    std::call_once(registered, [] { Poco::Data::SQLite::Connector::registerConnector(); });
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);  // SQLite names the folder when this failed
    return guarded(file, "open", [&] {
        Poco::Data::Session session("SQLite", file.string());
        session << "PRAGMA journal_mode=WAL", now;
        session << "PRAGMA synchronous=FULL", now;
        session << "PRAGMA busy_timeout=10000", now;
        return session;
    });
}

void throwStoreError(const std::filesystem::path& file, const char* what, const Poco::Exception& e) {
    throw StoreError("state store " + file.string() + ": cannot " + what + ": " + e.displayText());
}

}  // namespace passerelle::store
