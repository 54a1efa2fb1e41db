#pragma once
// An institution's side of the directory: fetch it from the Region ([directory]
// from: that peer's URL, its certificate pin, its signing key), adopt it
// (directory_file.h), and put its revocation lists in force: each replaces the
// [tls] crl file of the same issuer when it is newer, and the TLS listener and
// clients read a changed file again without a restart (transport/crl_store.h).

#include <filesystem>
#include <vector>

#include "config/gateway_config.h"
#include "federation/directory_file.h"
#include "ledger/appender.h"
#include "party/peer_keys.h"

namespace passerelle::federation {

// Each CRL of `directory` replaces the file of `crlFiles` holding a list of the same
// issuer when it is newer (a larger CRL number; a later thisUpdate without one) and is
// signed by a CA of `caFile` (this gateway's [tls] ca, not the directory's chain: the
// TLS stack would refuse any other). A list of an issuer no file holds is not
// installed. Returns the files replaced.
std::vector<std::filesystem::path> installDirectoryCrls(const Directory& directory,
                                                        const std::vector<std::filesystem::path>& crlFiles,
                                                        const std::filesystem::path& caFile);

struct Refresh {
    Adoption adoption;
    std::vector<std::filesystem::path> installedCrls;
};

// GET /v1/directory from [directory] from, adopted and its CRLs installed. Throws
// DirectoryError (refused, or an answer that is not 200) or TransportError (no
// connection); what is held stays in force either way.
Refresh refreshDirectory(const config::GatewayConfig& config, const exchange::PeerKeys& peers,
                         ledger::LedgerAppender& ledger);

}  // namespace passerelle::federation
