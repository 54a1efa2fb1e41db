#pragma once
// The secret that opens the console: 32 random bytes in hex, kept in
// console.token_file (mode 0600). Whoever can read that file on the gateway's
// host may use the console; nobody else can.

#include <filesystem>
#include <string>
#include <string_view>

namespace passerelle::console {

class AccessToken {
public:
    // Reads the token file, creating it (mode 0600, fresh random token) when it
    // does not exist. Throws ConfigError naming console.token_file when the file
    // is readable or writable by group or others, or holds no usable token.
    static AccessToken loadOrCreate(const std::filesystem::path& file,
                                    const std::filesystem::path& configFile);

    // Constant-time comparison (sodium_memcmp): a guess learns nothing from timing.
    bool matches(std::string_view candidate) const;

private:
    explicit AccessToken(std::string value) : value_(std::move(value)) {}
    std::string value_;
};

}  // namespace passerelle::console
