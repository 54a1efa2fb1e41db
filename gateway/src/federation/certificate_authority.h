#pragma once
// The federation's CA (docs/federation.md): a root, whose key is needed only to
// make the issuing certificate and can then live offline, and an issuing key
// that signs the parties' TLS certificates and the CRL. Every issuance and
// revocation is also an entry of the ledger of the party running it.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "config/gateway_config.h"
#include "federation/ca_folder.h"
#include "federation/issued_index.h"
#include "ledger/appender.h"

namespace passerelle::federation {

enum class KeyType { P256, Ed25519 };

// "p256" or "ed25519"; CaError otherwise.
KeyType parseKeyType(std::string_view text);
std::string_view toText(KeyType type);

// Who runs the CA: its certificates' subjects name them.
struct CaOperator {
    std::string party;
    std::string organisation;  // may be empty
};

struct InitialisedCa {
    std::string rootSerial, rootSha256, rootNotAfter;
    std::string issuingSerial, issuingSha256, issuingNotAfter;
};

struct IssueRequest {
    std::filesystem::path csrFile;
    bool server = false;                  // serverAuth as well as clientAuth
    std::vector<std::string> extraNames;  // more subjectAltNames: host names or IP addresses
};

struct IssuedChain {
    IssuedCertificate certificate;
    std::string pem;  // the leaf, then the issuing certificate
};

// Which certificates `revoke` takes: one serial, or every unrevoked one of a party.
struct RevocationTarget {
    std::string serial;  // hex, either case; or
    std::string party;
};

struct PublishedCrl {
    std::string pem;
    std::uint64_t number = 0;
    std::size_t revoked = 0;
    std::string nextUpdate;
};

class CertificateAuthority {
public:
    // Root validity, and the issuing certificate's (clamped to the root's).
    static constexpr int kRootDays = 20 * 365;
    static constexpr int kIssuingDays = 10 * 365;

    // Makes the folder (0700) with the root key and self-signed certificate and the
    // issuing key and certificate signed by the root; keys 0600. CaError, with
    // nothing written, when the folder already holds a CA.
    static InitialisedCa initialise(const CaFolder& folder, KeyType type, const CaOperator& by,
                                    const Clock& clock);

    // Opens the CA in settings.folder; KeyError or CaError naming the file when the
    // issuing key or certificate is missing, too open or not a pair. The root key
    // is not read. Entries go to `ledger`, which must outlive this object.
    CertificateAuthority(const config::CaSettings& settings, ledger::LedgerAppender& ledger,
                         const Clock& clock);
    ~CertificateAuthority();
    CertificateAuthority(const CertificateAuthority&) = delete;
    CertificateAuthority& operator=(const CertificateAuthority&) = delete;

    // Checks the request (certificate_request.h), issues the party's certificate,
    // keeps it (issued/<serial>.crt, issued.jsonl) and appends `certificate-issued`.
    IssuedChain issue(const IssueRequest& request);
    // The same for a request already read: `csrPem` is its text, request.csrFile only names it.
    IssuedChain issue(const IssueRequest& request, std::string_view csrPem);
    // CaError, naming the file and the date, when the issuing certificate has expired.
    void requireIssuingValid() const;
    // Records the revocation of the target's certificates and appends one
    // `certificate-revoked` each. CaError for an unknown or already revoked serial,
    // or a party without an unrevoked certificate.
    std::vector<IssuedCertificate> revoke(const RevocationTarget& target, RevocationReason reason);
    // A CRL signed by the issuing key listing every revoked serial with its reason.
    PublishedCrl makeCrl();
    std::vector<IssuedCertificate> issued() const;

    const CaFolder& folder() const { return folder_; }

private:
    class Keys;
    CaFolder folder_;
    config::CaSettings settings_;
    ledger::LedgerAppender& ledger_;
    const Clock& clock_;
    std::unique_ptr<Keys> keys_;
};

}  // namespace passerelle::federation
