#pragma once
// Hermetic helpers for the ledger tests: a fixed clock and a temporary folder.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/clock.h"

namespace passerelle::ledger::testing {

class FixedClock final : public Clock {
public:
    std::chrono::system_clock::time_point now() const override {
        using namespace std::chrono;
        return sys_days{year{2026} / November / 29} + hours{8} + minutes{36} + seconds{38};
    }
};
inline constexpr const char* kFixedTime = "2026-11-29T08:36:38Z";

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "passerelle-ledger-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace passerelle::ledger::testing
