// libFuzzer target for a peer's public keys file, the `public.keys` it shares and the
// gateway reads at start (readPublicKeysFile in gateway/src/privacy/public_keys.cpp,
// docs/fuzzing.md). The input is the file. Accepted: the keys and their history, written
// back with publicKeysText (when the writer takes that party name), read back the same; the key
// ids are computed without fault.
// A refusal is a KeyError; any other exception is a finding.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/errors.h"
#include "fuzz_support.h"
#include "privacy/public_keys.h"

using namespace passerelle;
using namespace passerelle::privacy;

namespace {

constexpr const char* kTarget = "fuzz_public_keys";

void check(std::string_view text) {
    const auto file = fuzz::scratchFolder() / "public.keys";
    fuzz::writeText(file, text);
    const PublicKeys keys = readPublicKeysFile(file);
    (void)keys.sign.id();
    (void)keys.box.id();
    std::string written;
    try {
        written = publicKeysText(keys);
    } catch (const KeyError& e) {
        fuzz::explainRefusal(e.what());  // a party name the writer would not write
        return;
    }
    fuzz::writeText(file, written);
    const PublicKeys again = readPublicKeysFile(file);
    if (again.party != keys.party || again.sign != keys.sign || again.box != keys.box ||
        again.validFrom != keys.validFrom || again.retiredSign != keys.retiredSign ||
        again.retiredBox != keys.retiredBox) {
        fuzz::finding(kTarget, "public keys written back read differently");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        check(std::string_view(reinterpret_cast<const char*>(data), size));
    } catch (const KeyError& e) {
        fuzz::explainRefusal(e.what());
    }
    return 0;
}
