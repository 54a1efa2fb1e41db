#include "federation/federation_ca.h"

#include "ledger/ledger.h"
#include "party/gateway.h"

namespace passerelle::federation {

const config::CaSettings& caSettings(const config::GatewayConfig& config) {
    if (!config.ca) {
        throw ConfigError(
            config.file.string() +
            ": no [ca] section: the ca commands need at least 'ca.folder' (docs/configuration.md)");
    }
    return *config.ca;
}

InitialisedCa initialiseCa(const config::GatewayConfig& config, KeyType type) {
    return CertificateAuthority::initialise(CaFolder{caSettings(config).folder}, type,
                                            CaOperator{config.party, config.name}, ledger::systemClock());
}

IssuedCertificate issueCertificate(const config::GatewayConfig& config, const IssueRequest& request,
                                   const std::filesystem::path& out) {
    const auto& settings = caSettings(config);
    if (std::filesystem::exists(out)) {
        throw CaError(out.string() + " already exists; nothing was issued (choose another --out)");
    }
    auto gateway = exchange::Gateway::open(config.file);
    CertificateAuthority ca(settings, gateway->ledger(), ledger::systemClock());
    const IssuedChain chain = ca.issue(request);
    writeNewFile(out, chain.pem, 0644);
    return chain.certificate;
}

std::vector<IssuedCertificate> revokeCertificates(const config::GatewayConfig& config,
                                                  const RevocationTarget& target, RevocationReason reason) {
    auto gateway = exchange::Gateway::open(config.file);
    CertificateAuthority ca(caSettings(config), gateway->ledger(), ledger::systemClock());
    return ca.revoke(target, reason);
}

WrittenCrl publishCrl(const config::GatewayConfig& config, const std::optional<std::filesystem::path>& out) {
    auto gateway = exchange::Gateway::open(config.file);
    CertificateAuthority ca(caSettings(config), gateway->ledger(), ledger::systemClock());
    WrittenCrl written{ca.makeCrl(), out.value_or(ca.folder().defaultCrl())};
    replaceFile(written.file, written.crl.pem, 0644);
    return written;
}

std::vector<IssuedCertificate> listCertificates(const config::GatewayConfig& config) {
    return IssuedIndex(CaFolder{caSettings(config).folder}.index()).read();
}

}  // namespace passerelle::federation
