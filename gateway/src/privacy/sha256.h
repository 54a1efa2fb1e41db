#pragma once
// Incremental SHA-256 for payload digests (OpenSSL: several times faster than
// libsodium's portable implementation, and payloads are hashed at full speed).

#include <array>
#include <cstdint>
#include <span>

namespace passerelle::privacy {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(std::span<const std::uint8_t> data);
    std::array<std::uint8_t, 32> finish();

private:
    void* ctx_;  // EVP_MD_CTX*
};

}  // namespace passerelle::privacy
