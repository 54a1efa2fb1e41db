#include "rest_settings.h"

#include <Poco/URI.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <string_view>

#include "source_failure.h"

namespace passerelle::rest {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

bool flag(const std::string& key, const std::string& value) {
    const std::string v = lower(value);
    if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
    if (v == "false" || v == "no" || v == "off" || v == "0") return false;
    throw SettingError(key, "expected true or false");
}

std::uint64_t whole(const std::string& key, const std::string& value, std::uint64_t min, std::uint64_t max) {
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() || n < min || n > max) {
        throw SettingError(
            key, "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return n;
}

std::chrono::milliseconds seconds(const std::string& key, const std::string& value) {
    double s = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), s);
    if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(s) || s < 0.1 || s > 3600) {
        throw SettingError(key, "expected a number of seconds from 0.1 to 3600, e.g. 30");
    }
    return std::chrono::milliseconds(static_cast<long long>(s * 1000));
}

// The host resolves only `path` against the config file's folder, so a
// relative path here would silently depend on the working directory.
std::filesystem::path absoluteFile(const std::string& key, const std::string& value) {
    std::filesystem::path p(value);
    if (value.empty() || p.is_relative()) {
        throw SettingError(key, "give an absolute path to the file");
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec)) {
        throw SettingError(key, "the file " + p.string() + " does not exist or is not a file");
    }
    return p;
}

bool isLoopback(const std::string& host) {
    return host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]";
}

// https only, no credentials in the address; plain http only on loopback when allowed.
std::string endpoint(const std::string& key, const std::string& value, bool allowHttp) {
    Poco::URI uri;
    try {
        uri = Poco::URI(value);
    } catch (const Poco::Exception&) {
        throw SettingError(key, "is not a URL; write e.g. https://api.example.org/v1/apprenants");
    }
    const std::string scheme = lower(uri.getScheme());
    if (uri.getHost().empty() || (scheme != "https" && scheme != "http")) {
        throw SettingError(key,
                           "must be an https:// URL with a host, e.g. https://api.example.org/v1/apprenants");
    }
    if (!uri.getUserInfo().empty()) {
        throw SettingError(key, "must not carry a user name or password; use login.* or token_file");
    }
    if (scheme == "http" && !(allowHttp && isLoopback(uri.getHost()))) {
        throw SettingError(key,
                           "must use https (plain http is accepted only with allow_http = true, and only "
                           "for a server on this machine: localhost or 127.0.0.1)");
    }
    return value;
}

bool isQueryName(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '[' || c == ']';
    });
}

std::string queryName(const std::string& key, const std::string& value) {
    if (!isQueryName(value)) {
        throw SettingError(key, "expected a query parameter name (letters, digits, '_', '-', '.')");
    }
    return value;
}

class SettingMap {
public:
    explicit SettingMap(passerelle::sdk::Settings settings) {
        for (const auto [key, value] : settings) values_[std::string(key)] = value;
    }
    std::optional<std::string> take(const std::string& key) {
        auto it = values_.find(key);
        if (it == values_.end()) return std::nullopt;
        std::string v = it->second;
        values_.erase(it);
        return v;
    }
    std::string take(const std::string& key, const std::string& fallback) {
        return take(key).value_or(fallback);
    }
    std::string required(const std::string& key, const std::string& what) {
        auto v = take(key);
        if (!v || v->empty()) throw SettingError(key, "is required: " + what);
        return *v;
    }
    std::vector<std::pair<std::string, std::string>> takePrefixed(const std::string& prefix) {
        std::vector<std::pair<std::string, std::string>> out;
        for (auto it = values_.begin(); it != values_.end();) {
            if (it->first.starts_with(prefix)) {
                out.emplace_back(it->first, it->second);
                it = values_.erase(it);
            } else {
                ++it;
            }
        }
        return out;
    }
    void refuseLeftovers() const {
        if (values_.empty()) return;
        throw SettingError(
            values_.begin()->first,
            "unknown setting of source.rest (check the spelling; see docs/plugins/source-rest.md)");
    }

private:
    std::map<std::string, std::string> values_;
};

std::optional<LoginSettings> readLogin(SettingMap& s, bool allowHttp) {
    auto url = s.take("login.url");
    if (!url) {
        for (const char* k : {"login.username", "login.password_file", "login.format", "login.token_path",
                              "login.username_field", "login.password_field"}) {
            if (s.take(k)) throw SettingError(k, "is set but login.url is not; give login.url or remove it");
        }
        return std::nullopt;
    }
    LoginSettings login;
    login.url = endpoint("login.url", *url, allowHttp);
    login.username = s.required("login.username", "the service account that logs in");
    login.passwordFile = absoluteFile(
        "login.password_file", s.required("login.password_file", "the file holding the account's password"));
    const std::string format = lower(s.take("login.format", "form"));
    if (format == "form") {
        login.format = LoginFormat::Form;
    } else if (format == "json") {
        login.format = LoginFormat::Json;
    } else {
        throw SettingError("login.format", "must be form or json");
    }
    login.usernameField = queryName("login.username_field", s.take("login.username_field", "username"));
    login.passwordField = queryName("login.password_field", s.take("login.password_field", "password"));
    login.tokenPath = JsonPath::parse(s.take("login.token_path", "access_token"), "login.token_path");
    return login;
}

void readPagination(SettingMap& s, RestSettings& r) {
    const std::string mode =
        lower(s.required("pagination", "page, cursor or none (how the API splits its answer)"));
    if (mode == "page") {
        r.pagination = Pagination::Page;
        r.page.param = queryName("page.param", s.take("page.param", "page"));
        r.page.first = static_cast<unsigned>(whole("page.first", s.take("page.first", "1"), 0, 1));
        r.page.sizeParam = s.take("page.size_param", "");
        r.page.size = s.take("page.size", "");
        if (r.page.sizeParam.empty() != r.page.size.empty()) {
            throw SettingError(r.page.size.empty() ? "page.size" : "page.size_param",
                               "page.size_param and page.size go together: give both or neither");
        }
        if (!r.page.size.empty()) {
            queryName("page.size_param", r.page.sizeParam);
            whole("page.size", r.page.size, 1, 1'000'000);
        }
        if (auto total = s.take("page.total_path"); total && !total->empty()) {
            r.page.totalPath = JsonPath::parse(*total, "page.total_path");
        }
    } else if (mode == "cursor") {
        r.pagination = Pagination::Cursor;
        r.cursor.path = JsonPath::parse(
            s.required("cursor.path", "the JSON path of the next cursor in a page"), "cursor.path");
        r.cursor.param = queryName("cursor.param", s.take("cursor.param", "cursor"));
    } else if (mode == "none") {
        r.pagination = Pagination::None;
    } else {
        throw SettingError("pagination", "must be page, cursor or none");
    }
    for (const char* prefix : {"page.", "cursor."}) {
        auto stray = s.takePrefixed(prefix);
        if (!stray.empty()) {
            throw SettingError(stray.front().first, "does not apply with pagination = " + mode);
        }
    }
}

std::vector<Column> readColumns(SettingMap& s) {
    std::vector<Column> columns;
    for (const auto& [key, value] : s.takePrefixed("column.")) {
        const std::string name = key.substr(std::string_view("column.").size());
        if (name.empty()) throw SettingError(key, "name the column: column.<NAME> = <JSON path>");
        if (value.empty())
            throw SettingError(key, "give the JSON path of the value, e.g. identite.nom_naissance");
        columns.push_back({name, JsonPath::parse(value, key)});
    }
    if (columns.empty()) {
        throw SettingError("column.<NAME>",
                           "source.rest needs at least one column.<NAME> = <JSON path> line");
    }
    // The host hands settings in no promised order; the columns' order must not depend on it.
    std::sort(columns.begin(), columns.end(),
              [](const Column& a, const Column& b) { return a.name < b.name; });
    return columns;
}

}  // namespace

std::string readSecretFile(const std::filesystem::path& file, const std::string& setting) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) throw SettingError(setting, "cannot read " + file.string());
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        throw SettingError(setting, "the file " + file.string() + " is readable or writable by group or others (mode " +
                                        mode + "); run chmod 600 " + file.string());
    }
    std::ifstream in(file, std::ios::binary);
    std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) throw SettingError(setting, "cannot read " + file.string());
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (secret.empty()) throw SettingError(setting, "the file " + file.string() + " is empty");
    return secret;
}

RestSettings parseSettings(passerelle::sdk::Settings settings) {
    SettingMap s(settings);
    RestSettings r;
    r.allowHttp = flag("allow_http", s.take("allow_http", "false"));
    r.url = endpoint("url",
                     s.required("url", "the API's list endpoint, e.g. https://api.example.org/v1/apprenants"),
                     r.allowHttp);
    r.login = readLogin(s, r.allowHttp);
    if (auto token = s.take("token_file"); token && !token->empty()) {
        if (r.login) throw SettingError("token_file", "give either token_file or login.*, not both");
        r.tokenFile = absoluteFile("token_file", *token);
    }
    readPagination(s, r);
    r.itemsPath = JsonPath::parse(s.take("items_path", ""), "items_path");
    r.columns = readColumns(s);
    r.filter.exitFrom = s.take("filter.exit_from_param", "");
    r.filter.exitTo = s.take("filter.exit_to_param", "");
    r.filter.since = s.take("filter.since_param", "");
    for (const auto& [key, value] : {std::pair{"filter.exit_from_param", &r.filter.exitFrom},
                                     std::pair{"filter.exit_to_param", &r.filter.exitTo},
                                     std::pair{"filter.since_param", &r.filter.since}}) {
        if (!value->empty()) queryName(key, *value);
    }
    r.timeout = seconds("timeout_seconds", s.take("timeout_seconds", "30"));
    r.retries = static_cast<unsigned>(whole("retries", s.take("retries", "3"), 0, 10));
    r.retryDelay =
        std::chrono::milliseconds(whole("retry_delay_ms", s.take("retry_delay_ms", "500"), 0, 60'000));
    r.maxPageBytes = whole("max_page_bytes", s.take("max_page_bytes", std::to_string(r.maxPageBytes)), 1024,
                           std::uint64_t{1} << 30);
    if (auto ca = s.take("ca_file"); ca && !ca->empty()) r.caFile = absoluteFile("ca_file", *ca);
    const std::string cert = s.take("client_certificate", "");
    const std::string key = s.take("client_key", "");
    if (cert.empty() != key.empty()) {
        throw SettingError(cert.empty() ? "client_certificate" : "client_key",
                           "client_certificate and client_key go together: give both or neither");
    }
    if (!cert.empty()) {
        r.clientCertificate = absoluteFile("client_certificate", cert);
        r.clientKey = absoluteFile("client_key", key);
    }
    s.refuseLeftovers();
    return r;
}

}  // namespace passerelle::rest
