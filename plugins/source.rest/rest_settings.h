#pragma once
// The settings of source.rest, read and checked once at open. Every refusal
// names the setting and says what to write instead (docs/plugins/source-rest.md).

#include <passerelle/plugin_adapter.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "json_path.h"

namespace passerelle::rest {

enum class Pagination { None, Page, Cursor };
enum class LoginFormat { Form, Json };

struct LoginSettings {
    std::string url;
    std::string username;
    std::filesystem::path passwordFile;
    LoginFormat format = LoginFormat::Form;
    std::string usernameField = "username";
    std::string passwordField = "password";
    JsonPath tokenPath;  // where the bearer token is in a JSON answer
};

struct PageSettings {
    std::string param = "page";
    unsigned first = 1;
    std::string sizeParam;
    std::string size;
    std::optional<JsonPath> totalPath;  // the number of pages, when the API says it
};

struct CursorSettings {
    JsonPath path;
    std::string param = "cursor";
};

struct FilterParams {
    std::string exitFrom, exitTo, since;  // query parameter names; empty: not sent
};

struct Column {
    std::string name;
    JsonPath path;
};

struct RestSettings {
    std::string url;
    bool allowHttp = false;
    std::optional<LoginSettings> login;
    std::filesystem::path tokenFile;
    Pagination pagination = Pagination::None;
    PageSettings page;
    CursorSettings cursor;
    JsonPath itemsPath;
    std::vector<Column> columns;  // sorted by name
    FilterParams filter;
    std::chrono::milliseconds timeout{30'000};
    unsigned retries = 3;
    std::chrono::milliseconds retryDelay{500};
    std::size_t maxPageBytes = std::size_t{64} << 20;
    std::filesystem::path caFile;  // empty: the system's CAs
    std::filesystem::path clientCertificate;
    std::filesystem::path clientKey;
};

// Throws SettingError naming the first setting it cannot use.
RestSettings parseSettings(passerelle::sdk::Settings settings);

// The secret held in a file (trailing line break removed). Refuses a missing,
// empty or world-readable file, naming `setting`.
std::string readSecretFile(const std::filesystem::path& file, const std::string& setting);

}  // namespace passerelle::rest
