#pragma once
// What the `passerelle ca …` commands do, from a configuration with a [ca]
// section (docs/federation.md). Issuing and revoking open the gateway's ledger,
// where each of them is an entry.

#include <filesystem>
#include <optional>
#include <vector>

#include "config/gateway_config.h"
#include "federation/certificate_authority.h"

namespace passerelle::federation {

// The [ca] section; ConfigError naming the file when there is none.
const config::CaSettings& caSettings(const config::GatewayConfig& config);

InitialisedCa initialiseCa(const config::GatewayConfig& config, KeyType type);

// Issues and writes the chain (leaf, then issuing certificate) to `out`, which
// must not exist: CaError before anything is issued otherwise.
IssuedCertificate issueCertificate(const config::GatewayConfig& config, const IssueRequest& request,
                                   const std::filesystem::path& out);

std::vector<IssuedCertificate> revokeCertificates(const config::GatewayConfig& config,
                                                  const RevocationTarget& target, RevocationReason reason);

// Writes the CRL to `out`, or to crl.pem in the CA folder; returns where.
struct WrittenCrl {
    PublishedCrl crl;
    std::filesystem::path file;
};
WrittenCrl publishCrl(const config::GatewayConfig& config, const std::optional<std::filesystem::path>& out);

std::vector<IssuedCertificate> listCertificates(const config::GatewayConfig& config);

}  // namespace passerelle::federation
