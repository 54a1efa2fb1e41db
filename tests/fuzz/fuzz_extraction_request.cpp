// libFuzzer target for what an institution reads from the Region before it extracts
// anything, and what the Region reads back (gateway/src/exchange/extraction_request.cpp,
// docs/fuzzing.md). The first byte picks a mode, the rest is the text:
//  0: SignedExtractionRequest::fromBody (the HTTP body), its signature checked with the
//     fixed sender key, then ExtractionRequest::parse on the signed bytes.
//  1: ExtractionRequest::parse. Accepted: json() gives back exactly the input (the
//     signature covers the bytes both sides read), and signing then reading the body
//     gives the same request, whose signature verifies.
//  2: ExtractionAnswer::parse. Accepted: its json() parses to the same answer.
// A refusal is an ExtractionRequestError; any other exception is a finding.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "batch_fixture.h"
#include "exchange/extraction_request.h"
#include "fuzz_support.h"

using namespace passerelle;
using namespace passerelle::exchange;
using passerelle::fuzz::FixedParties;

namespace {

constexpr const char* kTarget = "fuzz_extraction_request";

bool same(const ExtractionRequest& a, const ExtractionRequest& b) { return a.json() == b.json(); }

void signedBody(const std::string& body) {
    const SignedExtractionRequest s = SignedExtractionRequest::fromBody(body);
    // A body from a peer almost never verifies; the check must still be safe.
    (void)s.verifies(FixedParties::instance().sender().publicKeys().sign);
    const SignedExtractionRequest again = SignedExtractionRequest::fromBody(s.body());
    if (again.json != s.json || again.signature != s.signature) {
        fuzz::finding(kTarget, "a signed request's body does not read back as itself");
    }
    (void)ExtractionRequest::parse(s.json);
}

void request(const std::string& json) {
    const ExtractionRequest r = ExtractionRequest::parse(json);
    if (r.json() != json) fuzz::finding(kTarget, "accepted a request that is not its own canonical form");
    const auto& keys = FixedParties::instance().sender();
    const SignedExtractionRequest s = signExtractionRequest(r, keys);
    const SignedExtractionRequest read = SignedExtractionRequest::fromBody(s.body());
    if (read.json != json || !read.verifies(keys.publicKeys().sign)) {
        fuzz::finding(kTarget, "a request signed and sent does not arrive intact");
    }
    if (!same(ExtractionRequest::parse(read.json), r)) fuzz::finding(kTarget, "a request reads differently twice");
}

void answer(const std::string& json) {
    const ExtractionAnswer a = ExtractionAnswer::parse(json);
    const ExtractionAnswer b = ExtractionAnswer::parse(a.json());
    if (b.json() != a.json() || b.requestId != a.requestId || b.batchId != a.batchId || b.records != a.records ||
        b.quarantined != a.quarantined || b.objected != a.objected || b.outsideFilter != a.outsideFilter) {
        fuzz::finding(kTarget, "an answer does not survive its own json()");
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    (void)FixedParties::instance();  // key generation before the first input
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
    try {
        switch (data[0] % 3) {
            case 0:
                signedBody(rest);
                break;
            case 1:
                request(rest);
                break;
            default:
                answer(rest);
                break;
        }
    } catch (const ExtractionRequestError& e) {
        fuzz::explainRefusal(e.what());
    }
    return 0;
}
