// libFuzzer target for the receipt a sender reads back from its peer after a delivery
// (gateway/src/exchange/receipt.cpp, docs/fuzzing.md). The first byte picks a mode:
//  even: SignedReceipt::fromBody on the rest (the HTTP response body), then
//        verifyReceipt with the fixed receiver key, then Receipt::parse on the bytes
//        whatever the signature said (parsing must be safe before trust as well).
//  odd:  Receipt::parse on the rest. Accepted: its json() is a fixed point (parses to
//        a receipt with the same json()), and once signed by the fixed receiver and
//        sent as a body, verifyReceipt returns that same receipt.
// A refusal is a BatchError; any other exception is a finding.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "batch_fixture.h"
#include "common/errors.h"
#include "exchange/receipt.h"
#include "fuzz_support.h"

using namespace passerelle;
using namespace passerelle::exchange;
using passerelle::fuzz::FixedParties;

namespace {

constexpr const char* kTarget = "fuzz_receipt";

const privacy::PartyKeys& receiver() { return FixedParties::instance().recipient(); }

void body(const std::string& text) {
    const SignedReceipt s = SignedReceipt::fromBody(text);
    try {
        (void)verifyReceipt(s, receiver().publicKeys().sign);
    } catch (const BatchError& e) {
        fuzz::explainRefusal(e.what());
    }
    (void)Receipt::parse(s.json);
}

void receipt(const std::string& json) {
    const Receipt r = Receipt::parse(json);
    const std::string canonical = r.json();
    const Receipt again = Receipt::parse(canonical);
    if (again.json() != canonical) fuzz::finding(kTarget, "a receipt's json() does not read back as itself");
    const SignedReceipt sent = signReceipt(r, receiver());
    const Receipt received = verifyReceipt(SignedReceipt::fromBody(sent.body()), receiver().publicKeys().sign);
    if (received.json() != canonical) fuzz::finding(kTarget, "a receipt signed and sent does not arrive intact");
    if (r.checkpoint && (!received.checkpoint || *received.checkpoint != *r.checkpoint)) {
        fuzz::finding(kTarget, "a receipt's checkpoint changed on the way");
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
        if ((data[0] & 1) == 0) {
            body(rest);
        } else {
            receipt(rest);
        }
    } catch (const BatchError& e) {
        fuzz::explainRefusal(e.what());
    }
    return 0;
}
