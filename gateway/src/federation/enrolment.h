#pragma once
// Enrolment, the institution's side (docs/federation.md): `passerelle enrol` makes
// the party's TLS key and request and its libsodium keys and writes the request;
// `passerelle enrol --import` checks the Region's answer and puts each file where
// the configuration names it. The Region's side is peer_enrolment.h.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/gateway_config.h"
#include "federation/enrolment_request.h"
#include "privacy/public_keys.h"

namespace passerelle::federation {

// The public.keys `text` read as the file would be; EnrolmentError naming `what`.
privacy::PublicKeys publicKeysFromText(std::string_view text, const std::string& what);

struct WrittenRequest {
    std::filesystem::path file;
    std::string fingerprint;
    bool madeTlsKey = false;   // false: the existing [tls] private_key was used
    bool madePartyKeys = false;  // false: the keys in keys_dir were used
};

// Makes [tls] private_key (P-256, 0600) unless it exists, the keys in keys_dir
// unless they exist, and writes the request to `out`, which must not exist.
// EnrolmentError (nothing written) for a configuration that is not an
// institution's, keys of another party, or an existing `out`.
WrittenRequest writeEnrolmentRequest(const config::GatewayConfig& config, const std::string& contact,
                                     const std::filesystem::path& out);

struct ImportOptions {
    std::filesystem::path answerFile;
    std::string rootSha256;  // the pin from the convention's annex (hex, ':' allowed)
    bool replace = false;    // overwrite existing files that differ
};

struct ImportedAnswer {
    std::string region;
    std::vector<std::filesystem::path> written;    // files written or already identical
    bool addedRegionPeer = false;                  // [peer.<region>] was appended
    // The Region's key ids, for the operator to compare with the Region's `keys show`: the
    // answer's signature proves only that it was not altered after the Region's key signed it.
    std::string regionSignId, regionBoxId;
};

// Checks the answer (format, root pin, chain to the root, leaf CN and key, the
// Region's signature) and writes [tls] certificate, [tls] ca, the CRLs of
// [tls] crl, and the Region's public.keys; appends [peer.<region>] when missing.
// EnrolmentError, with nothing written, at the first check that fails or when a
// file exists with other content (unless `replace`).
ImportedAnswer importEnrolmentAnswer(const config::GatewayConfig& config, const ImportOptions& options);

}  // namespace passerelle::federation
