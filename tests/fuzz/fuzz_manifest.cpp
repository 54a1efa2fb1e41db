// libFuzzer target for what a gateway parses before any payload is opened (docs/fuzzing.md).
// The first byte picks a mode:
//  even: Manifest::parse on the rest, as arbitrary JSON. Whatever it accepts must be its
//        own canonical form, and senderOf() must agree with it.
//  odd:  receiveEnvelope on the rest, from an istringstream, with the fixed sender key
//        (bit 1 of the first byte selects a small size cap). On failure the batch folder
//        must not exist; on success the received batch is opened and read to the end.
//   fuzz_manifest --make-seeds DIR   writes the seed corpus (tests/fuzz/corpus/...).

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include "batch_fixture.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "privacy/batch_errors.h"
#include "privacy/envelope.h"

namespace fs = std::filesystem;
using namespace passerelle;
using namespace passerelle::privacy;
using passerelle::fuzz::FixedParties;

namespace {

void parseManifest(std::string_view json) {
    Manifest m;
    try {
        m = Manifest::parse(json);
    } catch (const BatchFormatError& e) {
        fuzz::explain(e);
        return;
    }
    if (m.canonicalJson() != json || Manifest::senderOf(json) != m.sender) {
        std::abort();  // accepted bytes that are not what a writer would have signed
    }
}

void receive(std::string_view body, bool smallCap) {
    const FixedParties& parties = FixedParties::instance();
    const fs::path dir = parties.scratch() / "inbox" / "batch";
    std::istringstream in{std::string(body)};
    try {
        receiveEnvelope(in, dir, parties.senderLookup(), smallCap ? 512 : 1 << 20);
    } catch (const BatchError& e) {
        fuzz::explain(e);
        std::error_code ec;
        if (fs::symlink_status(dir, ec).type() != fs::file_type::not_found) {
            std::abort();  // a refused envelope left a folder behind
        }
        return;
    }
    try {
        fuzz::readWholeBatch(dir);
    } catch (const BatchFormatError& e) {
        fuzz::explain(e);
    }
    fs::remove_all(dir);
}

std::string envelope(const std::string& json, const std::uint8_t sig[64],
                     std::span<const std::uint8_t> payload) {
    std::string out = "PSLENV01";
    const auto n = static_cast<std::uint32_t>(json.size());
    out += static_cast<char>(n >> 24);
    out += static_cast<char>(n >> 16);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n);
    out += json;
    out.append(reinterpret_cast<const char*>(sig), 64);
    out.append(reinterpret_cast<const char*>(payload.data()), payload.size());
    return out;
}

void makeSeeds(const fs::path& dir) {
    const FixedParties& parties = FixedParties::instance();
    fs::create_directories(dir);
    const std::string parseMode(1, '\0');
    const auto payload = fuzz::sealChunks(parties.recipient().publicKeys().box,
                                          {fuzz::encodeRecord({"Jeanne Exemple", "2026-06-30"})});
    Manifest m = parties.manifestFor(payload, 2, 1);
    const std::string json = m.canonicalJson();
    fuzz::writeFile(dir / "manifest-valid", parseMode + json);

    Manifest odd = m;
    odd.purpose = "quote\" back\\slash \n\t\x01 \xC3\xA9t\xC3\xA9";
    odd.fields = {"a", "", "\xE2\x82\xAC"};
    odd.recordCount = 4294967296u;
    fuzz::writeFile(dir / "manifest-escapes", parseMode + odd.canonicalJson());
    Manifest future = m;
    future.formatVersion = 2;
    fuzz::writeFile(dir / "manifest-version-2", parseMode + future.canonicalJson());
    fuzz::writeFile(dir / "manifest-whitespace", parseMode + "{ \"format_version\": 1, \"sender\": \"x\" }");

    const auto sig = parties.sender().sign(asBytes(json));
    fuzz::writeFile(dir / "envelope-valid", "\x01" + envelope(json, sig.data(), payload));
    fuzz::writeFile(dir / "envelope-over-cap", "\x03" + envelope(json, sig.data(), payload));
    auto altered = payload;
    altered.back() ^= 1;
    fuzz::writeFile(dir / "envelope-digest-mismatch", "\x01" + envelope(json, sig.data(), altered));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    return passerelle::fuzz::initialiseBatchTarget(argc, argv, makeSeeds);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    if ((data[0] & 1) == 0) {
        parseManifest(rest);
    } else {
        receive(rest, (data[0] & 2) != 0);
    }
    return 0;
}
