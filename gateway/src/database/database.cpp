#include "database/database.h"

#include "common/errors.h"

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/DataException.h>
#include <Poco/Data/SessionPool.h>
#include <Poco/Exception.h>

#include <sodium.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <thread>

using namespace Poco::Data::Keywords;

namespace passerelle::db {
namespace {

constexpr int kBusyTimeoutMs = 10'000;
constexpr std::size_t kSqliteOpenTimeoutSeconds = 5;
constexpr int kPoolIdleSeconds = 60;
constexpr int kPoolWaitSteps = 6000;  // of 10 ms

void registerConnectors() {
    static std::once_flag once;
    std::call_once(once, [] {
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::PostgreSQL::Connector::registerConnector();
    });
}

std::unique_ptr<Poco::Data::Session> openSqlite(const std::filesystem::path& file) {
    // Poco waits out its whole login timeout when sqlite3_open fails, so the
    // likely cause is checked first and the timeout kept short.
    const std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : ".";
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (!std::filesystem::is_directory(folder, ec)) {
        throw Poco::FileNotFoundException("folder " + folder.string() + " does not exist and cannot be created");
    }
    auto session = std::make_unique<Poco::Data::Session>("SQLite", file.string(), kSqliteOpenTimeoutSeconds);
    *session << "PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs), now;
    std::string mode;
    *session << "PRAGMA journal_mode = WAL", into(mode), now;
    if (mode != "wal") {
        throw Poco::IOException("the file system does not support write-ahead logging (journal mode is " + mode +
                                ")");
    }
    *session << "PRAGMA synchronous = FULL", now;
    return session;
}

bool startsWith(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

Location Location::parse(std::string_view text, const std::filesystem::path& base) {
    if (startsWith(text, "sqlite:")) {
        std::filesystem::path file(std::string(text.substr(7)));
        if (file.empty()) throw std::invalid_argument("'sqlite:' needs a file path after it (sqlite:state/state.db)");
        if (file.is_relative() && !base.empty()) file = base / file;
        return sqlite(file);
    }
    for (std::string_view scheme : {"postgresql:", "postgres:"}) {
        if (!startsWith(text, scheme)) continue;
        std::string conninfo(text.substr(scheme.size()));
        if (startsWith(conninfo, "//")) {
            throw std::invalid_argument(
                "is a URI; write the keyword=value form instead (postgresql:host=db.example dbname=passerelle "
                "user=passerelle_gw): the PostgreSQL connector reads no URIs");
        }
        if (conninfo.empty()) {
            throw std::invalid_argument(
                "'postgresql:' needs a libpq connection string after it "
                "(postgresql:host=127.0.0.1 dbname=passerelle user=passerelle_gw)");
        }
        return {Engine::PostgreSQL, conninfo};
    }
    throw std::invalid_argument("is neither sqlite:PATH nor postgresql:CONNINFO");
}

std::string Location::display() const {
    return engine == Engine::SQLite ? target : "postgresql:" + maskPassword(target);
}

std::string Location::text() const { return (engine == Engine::SQLite ? "sqlite:" : "postgresql:") + target; }

Location withPasswordFrom(Location location, const std::filesystem::path& file) {
    // The rule of the gateway's other secrets (its keys, the console's token): its user's alone.
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077u) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777u));
        throw std::invalid_argument(file.string() + " is readable or writable by group or others (mode " + mode +
                                    "); run chmod 600 " + file.string());
    }
    std::ifstream in(file);
    std::string password;
    if (!in || !std::getline(in, password)) throw std::invalid_argument("cannot read " + file.string());
    // Poco's PostgreSQL connector splits the connection string at every space, quoted or not.
    if (password.find_first_of(" \t") != std::string::npos) {
        throw std::invalid_argument(file.string() + ": the password holds a space, which the PostgreSQL connector "
                                    "cannot pass on; put it in ~/.pgpass (or the file PGPASSFILE names) instead");
    }
    std::string quoted;
    for (char c : password) {
        if (c == '\\' || c == '\'') quoted += '\\';
        quoted += c;
    }
    location.target += " password='" + quoted + "'";
    return location;
}

std::string maskPassword(std::string_view conninfo) {
    std::string out(conninfo);
    // URI form: scheme://user:password@host
    if (const auto scheme = out.find("://"); scheme != std::string::npos) {
        const auto at = out.find('@', scheme + 3);
        const auto colon = out.find(':', scheme + 3);
        if (at != std::string::npos && colon != std::string::npos && colon < at) {
            out.replace(colon + 1, at - colon - 1, "***");
        }
        for (const char* key : {"password="}) {
            for (auto pos = out.find(key); pos != std::string::npos; pos = out.find(key, pos + 1)) {
                const auto from = pos + std::strlen(key);
                const auto end = out.find('&', from);
                out.replace(from, (end == std::string::npos ? out.size() : end) - from, "***");
            }
        }
        return out;
    }
    // keyword=value form: password = 'se cret' or password=secret
    for (auto pos = out.find("password"); pos != std::string::npos; pos = out.find("password", pos + 1)) {
        auto eq = pos + 8;
        while (eq < out.size() && out[eq] == ' ') ++eq;
        if (eq >= out.size() || out[eq] != '=') continue;
        auto from = eq + 1;
        while (from < out.size() && out[from] == ' ') ++from;
        auto end = from;
        if (end < out.size() && out[end] == '\'') {
            for (++end; end < out.size() && out[end] != '\''; ++end) {
                if (out[end] == '\\') ++end;
            }
            if (end < out.size()) ++end;
        } else {
            while (end < out.size() && out[end] != ' ') ++end;
        }
        out.replace(from, std::min(end, out.size()) - from, "***");
    }
    return out;
}

std::string describe(const std::exception& e) {
    const auto* poco = dynamic_cast<const Poco::Exception*>(&e);
    std::string text = poco != nullptr ? (poco->message().empty() ? poco->displayText() : poco->message()) : e.what();
    const std::size_t half = text.size() / 2;
    if (text.size() > 2 && text.size() % 2 == 0 && text.compare(half - 1, 2, ": ") == 0 &&
        text.compare(0, half - 1, text, half + 1) == 0) {
        text.resize(half - 1);
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return maskPassword(text);
}

Database::Database(Location location, std::size_t maxSessions)
    : location_(std::move(location)), name_(location_.display()) {
    registerConnectors();
    try {
        if (location_.engine == Engine::SQLite) {
            sqlite_ = openSqlite(location_.target);
        } else {
            pool_ = std::make_unique<Poco::Data::SessionPool>("PostgreSQL", location_.target, 1,
                                                              static_cast<int>(std::max<std::size_t>(maxSessions, 1)),
                                                              kPoolIdleSeconds);
            withConnection([](Connection& c) { c.execute("SELECT 1"); });
        }
    } catch (const std::exception& e) {
        throw StoreError("database " + name_ + ": cannot open: " + describe(e));
    }
}

Database::~Database() = default;

Database::Lease::Lease(Database& db) : db_(db) {
    if (db_.sqlite_) {
        lock_ = std::unique_lock(db_.sqliteMutex_);
        session_ = db_.sqlite_.get();
    } else {
        pooled_ = db_.pooledSession();
        session_ = pooled_.get();
    }
}

Database::Lease::~Lease() = default;

std::unique_ptr<Poco::Data::Session> Database::pooledSession() {
    // Every session busy: wait for one rather than fail the caller (the pool's size
    // bounds the connections, not the work), up to a minute.
    for (int waited = 0;; ++waited) {
        try {
            return std::make_unique<Poco::Data::Session>(pool_->get());
        } catch (const Poco::Data::SessionPoolExhaustedException&) {
            if (waited >= kPoolWaitSteps) throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
}

void Database::begin(Poco::Data::Session& session) const {
    if (postgres()) {
        session.begin();
    } else {
        session << "BEGIN IMMEDIATE", now;
    }
}

void Database::commit(Poco::Data::Session& session) const {
    if (postgres()) {
        session.commit();
    } else {
        session << "COMMIT", now;
    }
}

void Database::rollback(Poco::Data::Session& session) const noexcept {
    try {
        if (postgres()) {
            session.rollback();
        } else {
            session << "ROLLBACK", now;
        }
    } catch (...) {
        // The engine may already have rolled back (disk full, connection lost): the
        // original error is the one worth reporting.
    }
}

void Database::run(bool inTransaction, const std::function<void(Connection&)>& fn) {
    std::optional<Lease> lease;
    try {
        lease.emplace(*this);
        if (inTransaction) begin(lease->session());
    } catch (const Poco::Exception& e) {
        throw DatabaseError(describe(e));
    }
    Connection connection(lease->session(), engine());
    if (!inTransaction) {
        fn(connection);
        return;
    }
    try {
        fn(connection);
    } catch (...) {
        rollback(lease->session());
        throw;
    }
    try {
        commit(lease->session());
    } catch (const Poco::Exception& e) {
        rollback(lease->session());
        throw DatabaseError(describe(e));
    }
}

void Database::snapshot(const std::function<void(Connection&)>& fn) {
    std::unique_ptr<Poco::Data::Session> own;
    std::optional<Lease> lease;
    Poco::Data::Session* session = nullptr;
    try {
        if (postgres()) {
            lease.emplace(*this);
            session = &lease->session();
            session->begin();
            *session << "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", now;
        } else {
            own = std::make_unique<Poco::Data::Session>("SQLite", location_.target, kSqliteOpenTimeoutSeconds);
            session = own.get();
            *session << "PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs), now;
            *session << "BEGIN", now;
        }
    } catch (const Poco::Exception& e) {
        throw DatabaseError(describe(e));
    }
    Connection connection(*session, engine());
    try {
        fn(connection);
    } catch (...) {
        try {
            if (postgres()) {
                session->rollback();
            } else {
                *session << "ROLLBACK", now;
            }
        } catch (const Poco::Exception&) {
            // The connection may be gone: the first error is the one to report.
        }
        throw;
    }
    try {
        if (postgres()) {
            session->commit();
        } else {
            *session << "COMMIT", now;
        }
    } catch (const Poco::Exception& e) {
        throw DatabaseError(describe(e));
    }
}

struct Database::SessionLock::Held {
    std::unique_ptr<Poco::Data::Session> session;
    Poco::Int64 key = 0;
};

Database::SessionLock::SessionLock() = default;
Database::SessionLock::SessionLock(SessionLock&&) noexcept = default;

Database::SessionLock::~SessionLock() {
    if (!held_) return;
    try {
        bool released = false;
        *held_->session << "SELECT pg_advisory_unlock($1)", use(held_->key), into(released), now;
    } catch (const Poco::Exception&) {
        // The session is going back to the pool or away: a lost connection frees its locks.
    }
}

std::optional<Database::SessionLock> Database::sessionLock(std::string_view name, bool wait) {
    if (!postgres()) return SessionLock{};
    try {
        // A session of its own, out of the pool for as long as the lock is held.
        auto held = std::make_unique<SessionLock::Held>();
        held->session = pooledSession();
        held->key = lockKey(name);
        bool taken = false;
        *held->session << (wait ? "SELECT true FROM pg_advisory_lock($1)" : "SELECT pg_try_advisory_lock($1)"),
            use(held->key), into(taken), now;
        if (!taken) return std::nullopt;
        SessionLock lock;
        lock.held_ = std::move(held);
        return lock;
    } catch (const Poco::Exception& e) {
        throw DatabaseError(describe(e));
    }
}

std::int64_t Database::lockKey(std::string_view name) {
    unsigned char digest[8];
    crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(name.data()), name.size(),
                       nullptr, 0);
    std::uint64_t key = 0;
    for (unsigned char byte : digest) key = (key << 8) | byte;
    return static_cast<std::int64_t>(key & 0x7fff'ffff'ffff'ffffULL);
}


}  // namespace passerelle::db
