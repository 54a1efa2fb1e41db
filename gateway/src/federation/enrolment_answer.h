#pragma once
// The Region's answer to an enrolment request (`passerelle peers add`), which the
// institution imports (`passerelle enrol --import`): its certificate chain, the
// federation's CA and CRLs, and the Region's party id, public keys and exchange URL,
// signed by the Region's Ed25519 key over the exact JSON bytes
// (`{"answer": "<base64 json>", "signature": "<base64>"}`, as exchange/signed_json.h).

#include <filesystem>
#include <string>
#include <string_view>

#include "exchange/signed_json.h"
#include "federation/enrolment_request.h"

namespace passerelle::federation {

inline constexpr std::string_view kEnrolmentAnswerFormat = "passerelle-enrolment-answer/1";

struct EnrolmentAnswer {
    std::string party;             // the enrolled party
    std::string certificateChain;  // PEM: its certificate, then the issuing certificate
    std::string federationCa;      // PEM: root then issuing certificate ([tls] ca)
    std::string rootCrl;           // PEM: the root's CRL
    std::string crl;               // PEM: the issuing CA's current CRL
    std::string region;            // the Region's party id
    std::string regionPublicKeys;  // the Region's public.keys text
    std::string regionUrl;         // https://… : where the party sends its batches
    std::string rootSha256;        // lower-case hex of the root certificate's DER
    std::string created;           // RFC 3339 UTC

    std::string toJson() const;
    // The JSON of a signed answer; EnrolmentError naming `file` otherwise.
    static EnrolmentAnswer parse(std::string_view json, const std::filesystem::path& file);
};

// The file's text: the answer signed with `keys`.
std::string signedAnswerText(const EnrolmentAnswer& answer, const privacy::PartyKeys& keys);
// The signed document of a file, and its answer (not yet verified). EnrolmentError
// naming `file` when it is not one.
struct SignedAnswer {
    exchange::SignedJson signedJson;
    EnrolmentAnswer answer;
};
SignedAnswer readSignedAnswer(std::string_view text, const std::filesystem::path& file);

}  // namespace passerelle::federation
