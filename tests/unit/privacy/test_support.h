#pragma once
// Shared fixtures for the privacy tests: a temporary folder and generated parties.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/errors.h"
#include "privacy/party_keys.h"

namespace passerelle::privacy::testing {

class TempDir {
public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "passerelle-privacy-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// The message of the KeyError `f` throws; a test failure (and "") when it throws none.
inline std::string keyErrorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const KeyError& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected KeyError";
    return {};
}

inline PartyKeys makeParty(const TempDir& tmp, const std::string& party) {
    const auto dir = tmp / ("keys-" + party);
    KeyFolder::generate(dir, party);
    return PartyKeys::load(dir);
}

inline std::vector<std::uint8_t> readFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void writeFile(const std::filesystem::path& p, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace passerelle::privacy::testing
