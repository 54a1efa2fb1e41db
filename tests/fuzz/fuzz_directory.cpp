// libFuzzer target for the federation's directory, what an institution fetches from
// GET /v1/directory before anything else of it is trusted (gateway/src/federation/
// directory.cpp, docs/federation.md, docs/fuzzing.md). Byte 0 even: the rest is the
// directory's JSON (parseDirectory); odd: the HTTP body (signedDirectoryFromBody), then
// its JSON parsed anyway, as if the signature had verified.
// Accepted: the document is its own canonical form, every party is found by its id,
// each has one current key of each use. A refusal is a DirectoryError; any other
// exception is a finding.

#include <cstdint>
#include <string>
#include <string_view>

#include "federation/directory.h"
#include "fuzz_support.h"

using namespace passerelle;
using namespace passerelle::federation;

namespace {

constexpr const char* kTarget = "fuzz_directory";

void checkAccepted(std::string_view json) {
    const Directory d = parseDirectory(json);
    if (directoryJson(d) != json) fuzz::finding(kTarget, "an accepted directory is not its own canonical form");
    if (d.party(d.region) == nullptr) fuzz::finding(kTarget, "an accepted directory without its region");
    for (const auto& p : d.parties) {
        if (d.party(p.id) != &p) fuzz::finding(kTarget, "a party not found by its id");
        (void)p.currentKey(KeyUse::Sign);
        (void)p.currentKey(KeyUse::Box);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        if (data[0] % 2 == 0) {
            checkAccepted(rest);
        } else {
            const auto body = signedDirectoryFromBody(std::string(rest));
            (void)directoryDigest(body);
            checkAccepted(body.json);
        }
    } catch (const DirectoryError& e) {
        fuzz::explainRefusal(e.what());
    }
    return 0;
}
