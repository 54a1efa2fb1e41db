// libFuzzer target for signed ledger checkpoints as a peer hands them over, inside a
// receipt (gateway/src/ledger/checkpoint.cpp, docs/fuzzing.md). The first byte gives
// the signature's length (0-127; 64 is the only one accepted), the signature is taken
// from the start of the rest, then the checkpoint text. Accepted: signedBytes() is
// exactly the text, the signature given is kept as is, and the same checkpoint signed
// by a fixed key verifies with that key and not with another.
// A refusal is a LedgerError; any other exception is a finding.

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/errors.h"
#include "fuzz_support.h"
#include "ledger/checkpoint.h"

using namespace passerelle;
using namespace passerelle::ledger;

namespace {

constexpr const char* kTarget = "fuzz_checkpoint";

// Throw-away keys from fixed seeds: never used outside this target.
struct FixedSigner {
    SignKey publicKey{};
    SignKey otherPublicKey{};
    std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> secret{};
    FixedSigner() {
        if (sodium_init() < 0) fuzz::finding(kTarget, "libsodium did not initialise");
        std::array<std::uint8_t, crypto_sign_SEEDBYTES> seed{};
        seed.fill(0x5a);
        crypto_sign_seed_keypair(publicKey.data(), secret.data(), seed.data());
        std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> otherSecret{};
        seed.fill(0xa5);
        crypto_sign_seed_keypair(otherPublicKey.data(), otherSecret.data(), seed.data());
    }
};

const FixedSigner& signer() {
    static const FixedSigner s;
    return s;
}

void check(std::string_view text, std::span<const std::uint8_t> signature) {
    Checkpoint c = parseCheckpoint(text, signature);
    if (c.signedBytes() != text) fuzz::finding(kTarget, "accepted a checkpoint that is not its canonical text");
    if (!std::equal(signature.begin(), signature.end(), c.signature.begin(), c.signature.end())) {
        fuzz::finding(kTarget, "the signature read is not the one given");
    }
    (void)describe(c);
    const std::string bytes = c.signedBytes();
    crypto_sign_detached(c.signature.data(), nullptr, reinterpret_cast<const unsigned char*>(bytes.data()),
                         bytes.size(), signer().secret.data());
    if (!c.signatureVerifies(signer().publicKey) || c.signatureVerifies(signer().otherPublicKey)) {
        fuzz::finding(kTarget, "a checkpoint's signature check disagrees with its signer");
    }
    if (parseCheckpoint(bytes, c.signature) != c) fuzz::finding(kTarget, "a signed checkpoint reads differently");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)signer();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t signatureSize = std::min<std::size_t>(data[0] & 0x7f, size - 1);
    const std::span<const std::uint8_t> signature(data + 1, signatureSize);
    const std::string_view text(reinterpret_cast<const char*>(data + 1 + signatureSize), size - 1 - signatureSize);
    try {
        check(text, signature);
    } catch (const LedgerError& e) {
        fuzz::explainRefusal(e.what());
    }
    return 0;
}
