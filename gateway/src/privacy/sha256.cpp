#include "privacy/sha256.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace passerelle::privacy {

namespace {
EVP_MD_CTX* ctxOf(void* p) { return static_cast<EVP_MD_CTX*>(p); }
}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr || EVP_DigestInit_ex(ctxOf(ctx_), EVP_sha256(), nullptr) != 1) {
        EVP_MD_CTX_free(ctxOf(ctx_));
        throw std::runtime_error("SHA-256 is not available");
    }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctxOf(ctx_)); }

void Sha256::update(std::span<const std::uint8_t> data) {
    if (EVP_DigestUpdate(ctxOf(ctx_), data.data(), data.size()) != 1) {
        throw std::runtime_error("SHA-256 update failed");
    }
}

std::array<std::uint8_t, 32> Sha256::finish() {
    std::array<std::uint8_t, 32> out{};
    unsigned len = 0;
    if (EVP_DigestFinal_ex(ctxOf(ctx_), out.data(), &len) != 1 || len != out.size()) {
        throw std::runtime_error("SHA-256 final failed");
    }
    return out;
}

}  // namespace passerelle::privacy
