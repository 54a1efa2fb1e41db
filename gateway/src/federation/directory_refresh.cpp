#include "federation/directory_refresh.h"

#include <openssl/x509v3.h>

#include "common/strict_json.h"
#include "federation/ca_folder.h"
#include "federation/openssl_handles.h"
#include "transport/exchange_client.h"

namespace passerelle::federation {

namespace {

constexpr std::size_t kMaxDirectoryAnswerBytes = 16u << 20;

// > 0 when `candidate` is newer than `held`.
int compareCrls(X509_CRL* candidate, X509_CRL* held) {
    Integer a(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(candidate, NID_crl_number, nullptr, nullptr)));
    Integer b(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(held, NID_crl_number, nullptr, nullptr)));
    if (a && b) return ASN1_INTEGER_cmp(a.get(), b.get());
    return ASN1_TIME_compare(X509_CRL_get0_lastUpdate(candidate), X509_CRL_get0_lastUpdate(held));
}

std::string errorCodeOf(const std::string& body) {
    try {
        StrictJsonObject o(body, [](const JsonRefusal&) { throw std::invalid_argument("not an error body"); });
        return o.text("error");
    } catch (const std::invalid_argument&) {
        return "no error code";
    }
}

}  // namespace

std::vector<std::filesystem::path> installDirectoryCrls(const Directory& directory,
                                                        const std::vector<std::filesystem::path>& crlFiles,
                                                        const std::filesystem::path& caFile) {
    const auto ours = certificatesFromPem(readWholeFile(caFile)).certificates;
    std::vector<std::filesystem::path> installed;
    for (const std::string& pem : directory.crls) {
        const RevocationList candidate = revocationListFromPem(pem);
        if (!candidate || !crlSignedByOneOf(candidate.get(), ours)) continue;
        for (const auto& file : crlFiles) {
            if (!std::filesystem::exists(file)) continue;
            const RevocationList held = revocationListFromPem(readWholeFile(file));
            if (!held || X509_NAME_cmp(X509_CRL_get_issuer(held.get()), X509_CRL_get_issuer(candidate.get())) != 0)
                continue;
            if (compareCrls(candidate.get(), held.get()) > 0) {
                replaceFile(file, pem, 0644);
                installed.push_back(file);
            }
            break;
        }
    }
    takeOpenSslErrors();
    return installed;
}

Refresh refreshDirectory(const config::GatewayConfig& config, const exchange::PeerKeys& peers,
                         ledger::LedgerAppender& ledger) {
    if (!config.directory || config.directory->from.empty()) {
        throw DirectoryError(config.file.string() + ": no [directory] from: this gateway fetches no directory");
    }
    const auto& settings = *config.directory;
    const auto& region = config.peer(settings.from);
    const transport::ExchangeClient client(config.tls, region.url, region.certificateSha256,
                                           std::chrono::seconds(config.http.timeoutSeconds), kMaxDirectoryAnswerBytes);
    const auto answer = client.get("/v1/directory");
    if (answer.status != 200) {
        throw DirectoryError(settings.from + " answered GET /v1/directory with HTTP " + std::to_string(answer.status) +
                             " (" + errorCodeOf(answer.body) + ")");
    }
    const std::vector<privacy::SignPublicKey> trusted{peers.of(settings.from).sign};
    Refresh refresh{adoptDirectory(signedDirectoryFromBody(answer.body), trusted, DirectoryFile(settings.file), ledger),
                    {}};
    if (refresh.adoption.directory.region != settings.from) {
        throw DirectoryError("the directory " + settings.from + " served is published by another party");
    }
    refresh.installedCrls = installDirectoryCrls(refresh.adoption.directory, config.tls.crls, config.tls.ca);
    return refresh;
}

}  // namespace passerelle::federation
