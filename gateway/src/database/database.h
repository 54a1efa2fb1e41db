#pragma once
// Where the gateway keeps its durable state (docs/operations.md): an
// embedded SQLite file (the default) or a PostgreSQL database shared by several
// gateway instances. The state store, the ledger and the extraction requests are
// written once against this class; what differs between the two engines is here:
// how a session is had, how a write transaction starts, and the placeholder syntax.
//
//   SQLite:     one connection per Database (WAL, synchronous=FULL, busy timeout),
//               used by one thread at a time; BEGIN IMMEDIATE takes the file's write
//               lock, so a read-then-update is atomic against every other process.
//   PostgreSQL: a pool of sessions; BEGIN ... COMMIT at READ COMMITTED, rows locked by
//               the statements themselves (SELECT ... FOR UPDATE [SKIP LOCKED]) or by
//               transaction-scoped advisory locks.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <functional>
#include <optional>
#include <type_traits>

#include "database/connection.h"

namespace Poco::Data {
class Session;
class SessionPool;
}

namespace passerelle::db {

// "sqlite:PATH" or "postgresql:CONNINFO" (a libpq keyword=value string; Poco's connector
// reads no URIs and splits the string at spaces, so values cannot hold one).
struct Location {
    Engine engine = Engine::SQLite;
    std::string target;  // the SQLite file, or the libpq conninfo

    static Location sqlite(const std::filesystem::path& file) { return {Engine::SQLite, file.string()}; }
    // Parses the text; a relative SQLite path is taken from `base`. Throws
    // std::invalid_argument saying what is wrong (never echoing a password).
    static Location parse(std::string_view text, const std::filesystem::path& base = {});
    // For messages and logs: the file, or the conninfo with any password masked.
    std::string display() const;
    // "sqlite:PATH" or "postgresql:CONNINFO": what parse() reads (with the password).
    std::string text() const;
};

// The PostgreSQL location with the password held on the first line of `file` added to
// its conninfo. Throws std::invalid_argument saying why (unreadable; open to group or
// others: it must be 0600; a space or tab, which Poco's connector cannot pass: use
// ~/.pgpass), never quoting the password.
Location withPasswordFrom(Location location, const std::filesystem::path& file);

// A conninfo with the value of `password=` (keyword form) or the URI's password masked.
std::string maskPassword(std::string_view conninfo);

class Database {
public:
    // Opens the database: for SQLite, creates the file and its folder when missing
    // and sets WAL, synchronous=FULL and a busy timeout; for PostgreSQL, connects one
    // session of the pool at once, so a wrong conninfo fails here. Throws StoreError
    // "database NAME: cannot open: REASON".
    explicit Database(Location location, std::size_t maxSessions = 8);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    Engine engine() const { return location_.engine; }
    bool postgres() const { return location_.engine == Engine::PostgreSQL; }
    const Location& location() const { return location_; }
    // The file, or the conninfo without password: what error messages name.
    const std::string& name() const { return name_; }

    // Runs fn(Connection&) on a connection that no other thread uses meanwhile and
    // returns what fn returns. A failure to get the connection is a DatabaseError;
    // what fn throws passes through.
    template <typename Fn>
    auto withConnection(Fn&& fn) {
        return lent(false, std::forward<Fn>(fn));
    }

    // Runs fn(Connection&) in a write transaction and commits; rolls back and rethrows
    // when fn throws. SQLite: BEGIN IMMEDIATE. PostgreSQL: BEGIN (READ COMMITTED).
    // A failure to begin or commit is a DatabaseError.
    template <typename Fn>
    auto transaction(Fn&& fn) {
        return lent(true, std::forward<Fn>(fn));
    }

    // Runs fn(Connection&) in a read-only snapshot that appends by others do not
    // change while it runs: on SQLite a connection of its own to the file (its WAL
    // snapshot, so the one connection stays free for writers); on PostgreSQL a
    // REPEATABLE READ READ ONLY transaction.
    template <typename Fn>
    auto readSnapshot(Fn&& fn) {
        using Result = std::invoke_result_t<Fn&, Connection&>;
        std::optional<Result> result;
        snapshot([&](Connection& c) { result.emplace(fn(c)); });
        return std::move(*result);
    }

    // PostgreSQL only: takes the session-level advisory lock keyed by `name` on a
    // connection of its own, held until the returned lock is destroyed (a lost
    // connection frees it too); nullopt when another session holds it and `wait` is
    // false. On SQLite, whose instances share one host, an empty lock at once.
    class SessionLock {
    public:
        SessionLock();
        ~SessionLock();
        SessionLock(SessionLock&&) noexcept;
        SessionLock& operator=(SessionLock&&) = delete;

    private:
        friend class Database;
        struct Held;
        std::unique_ptr<Held> held_;
    };
    std::optional<SessionLock> sessionLock(std::string_view name, bool wait);

    // 63 bits of BLAKE2b of `name`: an advisory-lock key.
    static std::int64_t lockKey(std::string_view name);

private:
    // Runs fn on a lent connection, in a transaction when `inTransaction`.
    void run(bool inTransaction, const std::function<void(Connection&)>& fn);
    void snapshot(const std::function<void(Connection&)>& fn);

    template <typename Fn>
    auto lent(bool inTransaction, Fn&& fn) {
        using Result = std::invoke_result_t<Fn&, Connection&>;
        if constexpr (std::is_void_v<Result>) {
            run(inTransaction, [&](Connection& c) { fn(c); });
        } else {
            std::optional<Result> result;
            run(inTransaction, [&](Connection& c) { result.emplace(fn(c)); });
            return std::move(*result);
        }
    }

    class Lease {
    public:
        explicit Lease(Database& db);
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Poco::Data::Session& session() { return *session_; }

    private:
        Database& db_;
        std::unique_lock<std::mutex> lock_;  // SQLite: the one connection
        std::unique_ptr<Poco::Data::Session> pooled_;
        Poco::Data::Session* session_ = nullptr;
    };

    std::unique_ptr<Poco::Data::Session> pooledSession();  // PostgreSQL: waits for a free one
    void begin(Poco::Data::Session& session) const;
    void commit(Poco::Data::Session& session) const;
    void rollback(Poco::Data::Session& session) const noexcept;

    Location location_;
    std::string name_;
    std::mutex sqliteMutex_;
    std::unique_ptr<Poco::Data::Session> sqlite_;
    std::unique_ptr<Poco::Data::SessionPool> pool_;
};

// The engine's message of an exception, said once (Poco's SQLite messages often
// repeat it: "disk I/O error: disk I/O error") and with any conninfo password masked.
std::string describe(const std::exception& e);

}  // namespace passerelle::db
