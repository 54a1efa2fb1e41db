#include "config/config_reader.h"

#include "common/errors.h"

#include <Poco/Exception.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace passerelle::config {

namespace {

std::string trim(std::string s) {
    auto notSpace = [](unsigned char c) { return !std::isspace(c); };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), notSpace));
    s.erase(std::find_if(s.rbegin(), s.rend(), notSpace).base(), s.end());
    return s;
}

}  // namespace

ConfigReader::ConfigReader(const std::filesystem::path& file) : file_(file) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
        throw ConfigError("configuration file " + file.string() + " does not exist or is not a file");
    }
    try {
        ini_ = new Poco::Util::IniFileConfiguration(file.string());
    } catch (const Poco::Exception& e) {
        throw ConfigError("cannot read configuration file " + file.string() + ": " + e.displayText());
    }
}

void ConfigReader::fail(const std::string& key, const std::string& why) const {
    throw ConfigError(file_.string() + ": key '" + key + "': " + why);
}

bool ConfigReader::has(const std::string& key) const { return ini_->has(key); }

std::string ConfigReader::required(const std::string& key) const {
    if (!ini_->has(key)) {
        fail(key, "is required but missing");
    }
    std::string value = trim(ini_->getRawString(key));
    if (value.empty()) {
        fail(key, "is required but empty");
    }
    return value;
}

std::string ConfigReader::optional(const std::string& key, const std::string& fallback) const {
    return ini_->has(key) ? trim(ini_->getRawString(key)) : fallback;
}

bool ConfigReader::flag(const std::string& key, bool fallback) const {
    if (!ini_->has(key)) {
        return fallback;
    }
    std::string v = trim(ini_->getRawString(key));
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
    if (v == "false" || v == "no" || v == "off" || v == "0") return false;
    fail(key, "expected true or false");
}

std::uint64_t ConfigReader::number(const std::string& key, std::uint64_t fallback, std::uint64_t min,
                                   std::uint64_t max) const {
    if (!ini_->has(key)) {
        return fallback;
    }
    const std::string v = trim(ini_->getRawString(key));
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size()) {
        fail(key, "expected a whole number");
    }
    if (n < min || n > max) {
        fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return n;
}

std::filesystem::path ConfigReader::path(const std::string& key) const {
    std::filesystem::path p = required(key);
    return p.is_absolute() ? p : (file_.parent_path() / p).lexically_normal();
}

std::filesystem::path ConfigReader::path(const std::string& key, const std::string& fallback) const {
    std::filesystem::path p = optional(key, fallback);
    return p.is_absolute() ? p : (file_.parent_path() / p).lexically_normal();
}

std::vector<std::string> ConfigReader::list(const std::string& key) const {
    std::vector<std::string> out;
    const std::string raw = optional(key, "");
    std::size_t start = 0;
    while (start <= raw.size()) {
        std::size_t comma = raw.find(',', start);
        if (comma == std::string::npos) comma = raw.size();
        std::string item = trim(raw.substr(start, comma - start));
        if (!item.empty()) out.push_back(std::move(item));
        start = comma + 1;
    }
    return out;
}

std::vector<std::string> ConfigReader::children(const std::string& prefix) const {
    Poco::Util::AbstractConfiguration::Keys keys;
    ini_->keys(prefix, keys);
    return {keys.begin(), keys.end()};
}

void ConfigReader::collect(const std::string& prefix, std::vector<std::string>& out) const {
    for (const std::string& child : children(prefix)) {
        const std::string full = prefix + "." + child;
        if (ini_->has(full)) {
            out.push_back(full);
        }
        collect(full, out);
    }
}

std::vector<std::string> ConfigReader::leaves(const std::string& prefix) const {
    std::vector<std::string> full;
    collect(prefix, full);
    std::vector<std::string> relative;
    relative.reserve(full.size());
    for (const std::string& key : full) {
        relative.push_back(key.substr(prefix.size() + 1));
    }
    return relative;
}

void ConfigReader::refuseUnknown(const std::string& section, const std::set<std::string>& known) const {
    for (const std::string& key : leaves(section)) {
        std::string lower = key;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        const std::string head = lower.substr(0, lower.find('.'));
        // "source.*" and "map.*" style groups are listed by their head.
        if (!known.contains(lower) && !known.contains(head + ".*")) {
            fail(section + "." + key, "unknown key (check the spelling; see docs/configuration.md)");
        }
    }
}

}  // namespace passerelle::config
