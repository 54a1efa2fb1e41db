#pragma once
// What source.sql and sink.sql share: the connection settings, opening a
// Poco::Data session on SQLite or PostgreSQL, and turning a database error into
// a message that names the place and never a value or the password.

#include <Poco/Data/Session.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace passerelle::sql {

enum class Connector { Sqlite, Postgresql };

struct ConnectionSettings {
    bool haveConnector = false;
    Connector connector = Connector::Sqlite;
    std::string database;      // sqlite: a file path; postgresql: a libpq conninfo without password
    std::string passwordFile;  // postgresql only: a file holding the password
    unsigned timeoutSeconds = 10;
};

// A failure the plugin reports as fatal; the text is ready for an administrator.
class SqlFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Takes key=value when it is a connection setting (connector, database,
// password_file, timeout_seconds); returns false for any other key.
bool readConnectionSetting(ConnectionSettings& settings, std::string_view key, std::string_view value);

// Throws SqlFailure naming the setting when a required one is missing or they disagree.
void checkConnectionSettings(const ConnectionSettings& settings);

// "?N" for SQLite, "$N" for PostgreSQL: the N-th bound parameter, from 1.
std::string placeholder(Connector connector, std::size_t n);

// A SQL identifier we accept without doubt: [a-z_][a-z0-9_]*, at most 63 bytes.
bool isPlainIdentifier(std::string_view name);

class Database {
public:
    // Opens the session. readOnly: SQLite opens the file read-only and refuses
    // a missing file; PostgreSQL runs every transaction READ ONLY.
    Database(const ConnectionSettings& settings, bool readOnly);

    Poco::Data::Session& session() { return session_; }
    Connector connector() const { return connector_; }

    // "postgresql database 'x' on host h port p" or "sqlite file '/path'".
    const std::string& place() const { return place_; }

    // A SqlFailure: "<place>: <doing> failed: <database's own words>. <what to do>".
    SqlFailure failure(std::string_view doing, const std::exception& e, std::string_view whatToDo) const;

private:
    Connector connector_;
    std::string place_;
    Poco::Data::Session session_;
};

// The database's own message, one line, with quoted values after ': ' withheld
// (PostgreSQL quotes the offending input there) and Poco's prefixes removed.
std::string databaseErrorText(const std::exception& e);

}  // namespace passerelle::sql
