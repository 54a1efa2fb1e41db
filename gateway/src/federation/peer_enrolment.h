#pragma once
// Enrolment, the Region's side (docs/federation.md): `passerelle peers add` checks an
// institution's request, issues its certificate, adds it as a peer of the Region's
// configuration and writes the signed answer the institution imports.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/gateway_config.h"
#include "federation/enrolment_request.h"

namespace passerelle::federation {

struct PeerAddition {
    std::filesystem::path requestFile;
    std::string fingerprint;              // as read over the phone
    bool server = false;                  // the party also listens (extraction requests)
    std::vector<std::string> extraNames;  // --san
    std::optional<std::string> url;       // the party's exchange URL, for extraction requests
    std::vector<std::string> acceptPurposes;  // empty: every purpose of the configuration
    std::optional<std::string> regionUrl;     // overrides [ca] public_url
    std::filesystem::path answerFile;
    // Re-enrolment: replace the party's [peer.*] section and its public.keys file.
    bool replace = false;
};

struct AddedPeer {
    std::string party;
    std::string serial, sha256, notAfter;
    std::filesystem::path publicKeysFile;
    std::vector<std::string> acceptPurposes;
    bool replaced = false;       // the party was a peer already (--replace)
    std::string previousSerial;  // the certificate its old pin named, when the CA issued it
};

// Checks, in this order, and refuses with EnrolmentError (or CaError) changing
// nothing: the request parses; the fingerprint matches; the UAI's shape and check
// letter; the UAI is in [ca] members and is the request's party's; the CSR verifies
// and its one CN is the party; the public keys are the party's; the issuing CA has
// not expired; the party is not a peer yet; the answer and the peer's key file can
// be written. Then issues (certificate-issued in the ledger), writes the peer's
// public.keys, appends [peer.<party>] to the configuration file, appends
// `peer-enrolled` to the ledger and writes the answer.
AddedPeer addEnrolledPeer(const config::GatewayConfig& config, const PeerAddition& addition);

}  // namespace passerelle::federation
