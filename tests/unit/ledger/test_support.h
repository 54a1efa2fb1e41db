#pragma once
// Hermetic helpers for the ledger tests (SQLite and PostgreSQL): a fixed clock, a
// temporary folder, a synthetic entry and a signing key made for the test.

#include <sodium.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/clock.h"
#include "common/encoding.h"
#include "ledger/checkpoint.h"
#include "ledger/entry.h"
#include "ledger/ledger.h"

namespace passerelle::ledger::testing {

class FixedClock final : public Clock {
public:
    std::chrono::system_clock::time_point now() const override {
        using namespace std::chrono;
        return sys_days{year{2026} / November / 29} + hours{8} + minutes{36} + seconds{38};
    }
};
inline constexpr const char* kFixedTime = "2026-11-29T08:36:38Z";

// A clock the test moves: entries appended days apart.
class SteppedClock final : public Clock {
public:
    std::chrono::system_clock::time_point now() const override { return at; }
    void advanceDays(int days) { at += std::chrono::hours(24) * days; }
    std::chrono::system_clock::time_point at = FixedClock().now();
};

// What retention does (audit/retention.cpp): the ledger-purged entry that accounts
// for the bytes about to go, then the blanking of entries older than `cutoff`.
inline Ledger::Blanked purgeAsRetention(Ledger& ledger, const std::string& cutoff, std::uint32_t days = 365) {
    return ledger.blankEntriesBefore(cutoff, [&](const Ledger::Blanked& blanked) {
        LedgerEntry e;
        e.actor = "operator";
        e.operation = toText(Operation::LedgerPurged);
        e.recordCount = blanked.count;
        e.outcome = "blanked";
        e.reason = ledgerPurgeReason(days, blanked.throughIndex);
        ledger.append(e);
    });
}

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

// A synthetic transfer entry: parties, purpose, field names, counts, no personal data.
inline LedgerEntry transfer(std::uint64_t records, const std::string& batch = "batch-1") {
    LedgerEntry e;
    e.actor = "univ-montpellier";
    e.operation = "transfer.sent";
    e.purpose = "internship-agreement";
    e.legalBasis = "art6-1-e";
    e.counterpart = "region-occitanie";
    e.batchId = batch;
    e.payloadDigest = "sha256:abcd";
    e.outcome = "ok";
    e.fields = {"pseudonym", "programme"};
    e.recordCount = records;
    return e;
}

// An Ed25519 key pair made for the test, standing in for a party's signing key.
struct TestSigner {
    SignKey pk{};
    std::array<std::uint8_t, 64> sk{};
    TestSigner() { crypto_sign_keypair(pk.data(), sk.data()); }
    std::string id() const { return toHex(std::span<const std::uint8_t>(pk.data(), 8)); }
    Signer signer() const {
        return [this](std::span<const std::uint8_t> bytes) {
            Signature s{};
            crypto_sign_detached(s.data(), nullptr, bytes.data(), bytes.size(), sk.data());
            return s;
        };
    }
};

}  // namespace passerelle::ledger::testing
