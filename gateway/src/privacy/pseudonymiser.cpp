#include "privacy/pseudonymiser.h"

#include <array>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "privacy/sodium_init.h"

namespace passerelle::privacy {

namespace {
constexpr char kContext[crypto_kdf_CONTEXTBYTES] = {'p', 's', 'l', 'p', 's', 'e', 'u', 'd'};
// "000102...ff": two hex chars per byte value, so encoding is one 2-byte copy per byte.
constexpr std::array<char, 512> kHexPairs = [] {
    constexpr char digits[] = "0123456789abcdef";
    std::array<char, 512> t{};
    for (std::size_t i = 0; i < 256; ++i) {
        t[2 * i] = digits[i >> 4];
        t[2 * i + 1] = digits[i & 0xf];
    }
    return t;
}();
}  // namespace

std::uint64_t pseudonymDomainId(std::string_view domain) {
    ensureSodium();
    std::uint8_t digest[32];
    crypto_generichash(digest, sizeof digest, reinterpret_cast<const std::uint8_t*>(domain.data()),
                       domain.size(), nullptr, 0);
    std::uint64_t id = 0;
    for (int i = 7; i >= 0; --i) {
        id = (id << 8) | digest[i];  // little-endian, independent of the host
    }
    return id;
}

std::optional<std::uint32_t> pseudonymEpochOf(std::string_view pseudonym) {
    std::uint32_t epoch = 0;
    const auto [end, ec] = std::from_chars(pseudonym.data(), pseudonym.data() + pseudonym.size(), epoch);
    if (ec != std::errc() || end == pseudonym.data() + pseudonym.size() || *end != ':' || epoch == 0) {
        return std::nullopt;
    }
    return epoch;
}

Pseudonymiser::Pseudonymiser(const PartyKeys& keys, std::string_view domain)
    : Pseudonymiser(keys, domain, keys.pseudonymEpoch()) {}

Pseudonymiser::Pseudonymiser(const PartyKeys& keys, std::string_view domain, std::uint32_t epoch)
    : epoch_(epoch), epochPrefix_(std::to_string(epoch_) + ":") {
    if (domain.empty()) {
        throw std::invalid_argument("pseudonym domain must not be empty");
    }
    std::array<std::uint8_t, crypto_kdf_KEYBYTES> domainKey{};
    keys.deriveSubkey(epoch, pseudonymDomainId(domain), kContext, domainKey);
    crypto_generichash_init(&keyed_, domainKey.data(), domainKey.size(), 32);
    sodium_memzero(domainKey.data(), domainKey.size());
}

Pseudonymiser::~Pseudonymiser() { sodium_memzero(&keyed_, sizeof keyed_); }

std::string Pseudonymiser::pseudonymOf(std::string_view identity) const {
    std::string out;
    pseudonymOf(identity, out);
    return out;
}

void Pseudonymiser::pseudonymOf(std::string_view identity, std::string& out) const {
    Hex hex;
    pseudonymOf(identity, hex);
    out.assign(epochPrefix_).append(hex.data(), hex.size());
}

void Pseudonymiser::pseudonymOf(std::string_view identity, Hex& out) const {
    crypto_generichash_state state = keyed_;
    crypto_generichash_update(&state, reinterpret_cast<const std::uint8_t*>(identity.data()),
                              identity.size());
    std::uint8_t digest[32];
    crypto_generichash_final(&state, digest, sizeof digest);
    sodium_memzero(&state, sizeof state);  // the copy holds the keyed block
    static_assert(std::tuple_size_v<Hex> == 2 * sizeof digest);
    char* p = out.data();
    for (std::size_t i = 0; i < sizeof digest; ++i) {
        std::memcpy(p + 2 * i, kHexPairs.data() + 2 * digest[i], 2);
    }
}

}  // namespace passerelle::privacy
