#pragma once
// Typed access to an INI file that names the key in every error, and refuses
// keys it does not know (a typo must not silently fall back to a default).

#include <Poco/AutoPtr.h>
#include <Poco/Util/IniFileConfiguration.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace passerelle::config {

class ConfigReader {
public:
    explicit ConfigReader(const std::filesystem::path& file);

    const std::filesystem::path& file() const { return file_; }

    bool has(const std::string& key) const;
    std::string required(const std::string& key) const;
    std::string optional(const std::string& key, const std::string& fallback) const;
    bool flag(const std::string& key, bool fallback) const;
    std::uint64_t number(const std::string& key, std::uint64_t fallback, std::uint64_t min, std::uint64_t max) const;
    // A path; a relative one is resolved against the config file's folder.
    std::filesystem::path path(const std::string& key) const;
    std::filesystem::path path(const std::string& key, const std::string& fallback) const;
    // A comma-separated list, items trimmed, empty items dropped.
    std::vector<std::string> list(const std::string& key) const;

    // Names of the subkeys below a prefix ("job" -> job names).
    std::vector<std::string> children(const std::string& prefix) const;
    // Every key below a prefix, relative to it ("job.x.source" -> "path", ...).
    std::vector<std::string> leaves(const std::string& prefix) const;

    // Throws ConfigError naming the first key of the section not in `known`.
    void refuseUnknown(const std::string& section, const std::set<std::string>& known) const;

    [[noreturn]] void fail(const std::string& key, const std::string& why) const;

private:
    void collect(const std::string& prefix, std::vector<std::string>& out) const;

    std::filesystem::path file_;
    Poco::AutoPtr<Poco::Util::IniFileConfiguration> ini_;
};

}  // namespace passerelle::config
