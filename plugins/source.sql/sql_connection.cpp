#include "sql_connection.h"

#include <Poco/Data/PostgreSQL/SessionImpl.h>
#include <Poco/Data/SQLite/SessionImpl.h>
#include <Poco/Exception.h>
#include <libpq-fe.h>
#include <sys/stat.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

namespace passerelle::sql {

namespace {

using namespace std::string_literals;

// Percent-encodes what SQLite's URI parser would read as syntax.
std::string sqliteUri(const std::string& path, bool readOnly) {
    std::string uri = "file:";
    for (const char c : path) {
        if (c == '%' || c == '?' || c == '#') {
            static const char hex[] = "0123456789ABCDEF";
            uri += '%';
            uri += hex[(static_cast<unsigned char>(c) >> 4) & 0xF];
            uri += hex[static_cast<unsigned char>(c) & 0xF];
        } else {
            uri += c;
        }
    }
    return readOnly ? uri + "?mode=ro" : uri;
}

// A value in libpq conninfo syntax: single-quoted, with \ and ' escaped.
std::string conninfoValue(std::string_view value) {
    std::string out = "'";
    for (const char c : value) {
        if (c == '\\' || c == '\'') out += '\\';
        out += c;
    }
    return out + "'";
}

std::string readPassword(const std::string& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
        throw SqlFailure("setting 'password_file': cannot read '" + file +
                         "'; give a file holding the database password (mode 0600)");
    }
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        throw SqlFailure("setting 'password_file': '" + file + "' is readable or writable by group or others (mode " +
                         mode + "); run chmod 600 " + file + " (and keep it owned by the gateway's user)");
    }
    std::ifstream in(file, std::ios::binary);
    std::string password((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) throw SqlFailure("setting 'password_file': cannot read '" + file + "'");
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
    if (password.empty()) throw SqlFailure("setting 'password_file': '" + file + "' is empty");
    return password;
}

struct ConninfoParts {
    std::string host = "localhost";
    std::string port = "5432";
    std::string dbname;
    bool hasTimeout = false;
};

ConninfoParts parseConninfo(const std::string& conninfo) {
    char* error = nullptr;
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
        PQconninfoParse(conninfo.c_str(), &error), &PQconninfoFree);
    if (!options) {
        // libpq's message names the syntax problem; it cannot hold a password: we refuse those below.
        std::string why = error != nullptr ? error : "not a libpq connection string";
        PQfreemem(error);
        while (!why.empty() && why.back() == '\n') why.pop_back();
        throw SqlFailure("setting 'database': " + why +
                         "; write it like 'host=db.example.org port=5432 dbname=pegase user=passerelle_ro'");
    }
    ConninfoParts parts;
    for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
        if (o->val == nullptr) continue;
        const std::string_view key = o->keyword;
        if (key == "password") {
            throw SqlFailure(
                "setting 'database' holds a password; remove it and put the password in the "
                "file named by setting 'password_file'");
        }
        if (key == "host" || key == "hostaddr") parts.host = o->val;
        if (key == "port") parts.port = o->val;
        if (key == "dbname") parts.dbname = o->val;
        if (key == "connect_timeout") parts.hasTimeout = true;
    }
    if (parts.dbname.empty()) {
        throw SqlFailure("setting 'database' names no database; add dbname=<name> to the connection string");
    }
    return parts;
}

Poco::Data::Session openSqlite(const ConnectionSettings& s, bool readOnly) {
    struct stat st {};
    if (readOnly && ::stat(s.database.c_str(), &st) != 0) {
        throw SqlFailure("sqlite file '" + s.database +
                         "' (setting 'database') does not exist; give the path of " +
                         "the SQLite database to read");
    }
    return Poco::Data::Session(
        new Poco::Data::SQLite::SessionImpl(sqliteUri(s.database, readOnly), s.timeoutSeconds));
}

Poco::Data::Session openPostgresql(const ConnectionSettings& s, const ConninfoParts& parts) {
    std::string conninfo = s.database;
    if (!parts.hasTimeout) conninfo += " connect_timeout=" + std::to_string(s.timeoutSeconds);
    if (!s.passwordFile.empty()) conninfo += " password=" + conninfoValue(readPassword(s.passwordFile));
    return Poco::Data::Session(new Poco::Data::PostgreSQL::SessionImpl(conninfo, s.timeoutSeconds));
}

}  // namespace

bool readConnectionSetting(ConnectionSettings& settings, std::string_view key, std::string_view value) {
    if (key == "connector") {
        if (value == "sqlite") {
            settings.connector = Connector::Sqlite;
        } else if (value == "postgresql") {
            settings.connector = Connector::Postgresql;
        } else {
            throw SqlFailure("setting 'connector' must be sqlite or postgresql");
        }
        settings.haveConnector = true;
    } else if (key == "database") {
        settings.database = value;
    } else if (key == "password_file") {
        settings.passwordFile = value;
    } else if (key == "timeout_seconds") {
        unsigned seconds = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (ec != std::errc() || end != value.data() + value.size() || seconds == 0 || seconds > 3600) {
            throw SqlFailure("setting 'timeout_seconds' must be a whole number of seconds from 1 to 3600");
        }
        settings.timeoutSeconds = seconds;
    } else {
        return false;
    }
    return true;
}

void checkConnectionSettings(const ConnectionSettings& settings) {
    if (!settings.haveConnector) throw SqlFailure("setting 'connector' is required: sqlite or postgresql");
    if (settings.database.empty()) {
        throw SqlFailure(settings.connector == Connector::Sqlite
                             ? "setting 'database' is required: the path of the SQLite file"
                             : "setting 'database' is required: a connection string like "
                               "'host=db.example.org dbname=pegase user=passerelle_ro'");
    }
    if (settings.connector == Connector::Sqlite && !settings.passwordFile.empty()) {
        throw SqlFailure("setting 'password_file' applies to connector postgresql only; remove it");
    }
}

std::string placeholder(Connector connector, std::size_t n) {
    std::string text(1, connector == Connector::Sqlite ? '?' : '$');
    text += std::to_string(n);
    return text;
}

bool isPlainIdentifier(std::string_view name) {
    if (name.empty() || name.size() > 63) return false;
    if (!(std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
    for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (!(std::islower(u) || std::isdigit(u) || c == '_')) return false;
    }
    return true;
}

namespace {

std::string describePlace(const ConnectionSettings& s, const ConninfoParts* parts) {
    if (s.connector == Connector::Sqlite) return "sqlite file '" + s.database + "'";
    return "postgresql database '" + parts->dbname + "' on " + parts->host + " port " + parts->port;
}

Poco::Data::Session openSession(const ConnectionSettings& s, bool readOnly, const std::string& place) {
    std::unique_ptr<ConninfoParts> parts;
    try {
        if (s.connector == Connector::Sqlite) return openSqlite(s, readOnly);
        parts = std::make_unique<ConninfoParts>(parseConninfo(s.database));
        return openPostgresql(s, *parts);
    } catch (const SqlFailure&) {
        throw;
    } catch (const std::exception& e) {
        throw SqlFailure(place + ": cannot connect: " + databaseErrorText(e) +
                         ". Check settings 'database' and 'password_file', that the server runs and that "
                         "this gateway may connect");
    }
}

}  // namespace

Database::Database(const ConnectionSettings& settings, bool readOnly)
    : connector_(settings.connector),
      place_(settings.connector == Connector::Sqlite
                 ? describePlace(settings, nullptr)
                 : [&] {
                       const ConninfoParts parts = parseConninfo(settings.database);
                       return describePlace(settings, &parts);
                   }()),
      session_(openSession(settings, readOnly, place_)) {
    try {
        if (connector_ == Connector::Postgresql) {
            // Values become text as the server formats them: ask for ISO dates and UTF-8.
            session_ << "SET DateStyle = 'ISO, YMD'", Poco::Data::Keywords::now;
            session_ << "SET client_encoding = 'UTF8'", Poco::Data::Keywords::now;
            if (readOnly) {
                session_ << "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", Poco::Data::Keywords::now;
            }
        }
    } catch (const std::exception& e) {
        throw failure("setting up the session", e, "check that the server is PostgreSQL 10 or newer");
    }
}

SqlFailure Database::failure(std::string_view doing, const std::exception& e,
                             std::string_view whatToDo) const {
    std::string text = place_ + ": " + std::string(doing) + " failed: " + databaseErrorText(e);
    if (!whatToDo.empty()) text += ". " + std::string(whatToDo);
    return SqlFailure(text);
}

std::string databaseErrorText(const std::exception& e) {
    const auto* poco = dynamic_cast<const Poco::Exception*>(&e);
    std::string text =
        poco != nullptr ? (poco->message().empty() ? poco->displayText() : poco->message()) : e.what();
    // PostgreSQL's own words follow its severity; what Poco puts around them is noise.
    for (const char* severity : {"ERROR:", "FATAL:"}) {
        if (const auto at = text.find(severity); at != std::string::npos) {
            text.erase(0, at + std::string_view(severity).size());
            break;
        }
    }
    if (const auto nl = text.find('\n'); nl != std::string::npos) text.erase(nl);
    for (const std::string_view noise : {" Severity:", " SQL ", " [SQLite"}) {
        if (const auto at = text.find(noise); at != std::string::npos) text.erase(at);
    }
    // `invalid input syntax for type date: "<value>"`: the quoted part after ': ' is a value.
    for (std::size_t at = text.find(": \""); at != std::string::npos; at = text.find(": \"", at + 1)) {
        const auto close = text.find('"', at + 3);
        if (close == std::string::npos) break;
        text.replace(at + 2, close - at - 1, "(value withheld)");
    }
    const auto first = text.find_first_not_of(" \t");
    text = first == std::string::npos ? std::string("no message from the database") : text.substr(first);
    while (!text.empty() && (text.back() == ' ' || text.back() == '.')) text.pop_back();
    if (text.size() > 300) text = text.substr(0, 300) + "...";
    return text;
}

}  // namespace passerelle::sql
