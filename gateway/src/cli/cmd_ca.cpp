// passerelle ca init / issue / revoke / crl / list: the federation CA the Region runs
// (docs/federation.md). Each parses, calls one function of federation/federation_ca.h and prints.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <iostream>

#include "cli/commands.h"
#include "config/gateway_config.h"
#include "federation/federation_ca.h"

namespace passerelle::cli {

namespace {

const char* const kCaDetails =
    "The CA lives in [ca] folder (mode 0700): root.crt and root.key (needed only by ca init: keep it\n"
    "offline afterwards), issuing.crt and issuing.key (signs certificates and CRLs), federation-ca.pem\n"
    "and root.crl (every party's [tls] ca and first [tls] crl), issued.jsonl and issued/<serial>.crt\n"
    "(what was issued and revoked). See docs/federation.md.";

std::string revocationText(const federation::IssuedCertificate& c) {
    if (!c.revocation) return "no";
    return "revoked " + c.revocation->time + " (" + std::string(federation::toText(c.revocation->reason)) +
           ")";
}

}  // namespace

Command caInitCommand() {
    CommandSpec spec;
    spec.name = "ca init";
    spec.summary = "create the federation CA: an offline-capable root and an issuing key (never overwrites)";
    spec.usage = "passerelle ca init --config FILE [--key-type p256|ed25519]";
    spec.options = {
        configOption(),
        {"key-type", true, "the keys' algorithm: p256 (ECDSA P-256, the default) or ed25519", "TYPE"}};
    spec.details =
        std::string(kCaDetails) +
        "\n\nWrites root.key and issuing.key (0600), root.crt (self-signed, CA, 20 years) and issuing.crt\n"
        "(signed by the root, CA with pathlen 0, 10 years). Refuses a folder that already holds a CA.\n"
        "Also federation-ca.pem (root then issuing certificate: every party's [tls] ca) and root.crl\n"
        "(the root's own list, valid as long as the issuing certificate: the first file of [tls] crl).\n"
        "Afterwards move root.key to offline storage: ca issue, revoke and crl never read it.";
    return {spec, [](const ParsedOptions& options) {
                const auto config = config::GatewayConfig::load(options.value("config"));
                const auto type = federation::parseKeyType(options.optional("key-type").value_or("p256"));
                const auto ca = federation::initialiseCa(config, type);
                const federation::CaFolder folder{federation::caSettings(config).folder};
                std::cout << "federation CA created in " << folder.dir.string() << " ("
                          << federation::toText(type) << ")\n"
                          << "  root     serial " << ca.rootSerial << "  not after " << ca.rootNotAfter
                          << "\n"
                          << "           sha256 " << ca.rootSha256 << "\n"
                          << "  issuing  serial " << ca.issuingSerial << "  not after " << ca.issuingNotAfter
                          << "\n"
                          << "           sha256 " << ca.issuingSha256 << "\n"
                          << "now move " << folder.rootKey().string() << " to offline storage\n"
                          << "give every party " << folder.trustFile().string() << " ([tls] ca) and "
                          << folder.rootCrl().string() << " (first file of [tls] crl)\n";
                return kExitOk;
            }};
}

Command caIssueCommand() {
    CommandSpec spec;
    spec.name = "ca issue";
    spec.summary = "issue a party's TLS certificate from its certificate signing request";
    spec.usage = "passerelle ca issue --config FILE --csr FILE --out FILE [--server] [--san NAME ...]";
    spec.options = {
        configOption(),
        {"csr", true, "the party's certificate signing request (PEM); its one CN is the party id", "FILE"},
        {"out", true, "where to write the certificate and the issuing certificate (must not exist)", "FILE"},
        {"server", false, "add serverAuth: for a party that listens (the Region, extractions)", ""},
        {"san", true, "another subjectAltName: a host name or an IP address", "NAME", true}};
    spec.details =
        std::string(kCaDetails) +
        "\n\nThe certificate has CN = the party id, subjectAltName DNS:<party id> (and each --san),\n"
        "extendedKeyUsage clientAuth (and serverAuth with --server), a random 128-bit serial and\n"
        "[ca] certificate_days of validity. The request is refused, naming the file, when it does\n"
        "not parse, its signature does not verify, it has no or several CNs, or its CN is not a\n"
        "party id. Each issuance is a certificate-issued entry of this gateway's ledger.";
    return {spec, [](const ParsedOptions& options) {
                const auto config = config::GatewayConfig::load(options.value("config"));
                federation::IssueRequest request;
                request.csrFile = options.value("csr");
                request.server = options.has("server");
                request.extraNames = options.all("san");
                const std::string out = options.value("out");
                const auto issued = federation::issueCertificate(config, request, out);
                std::cout << "certificate of " << issued.party << " written to " << out << "\n"
                          << "  serial     " << issued.serial << "\n"
                          << "  sha256     " << issued.sha256 << "\n"
                          << "  not after  " << issued.notAfter << "\n"
                          << "  usage      " << (issued.server ? "clientAuth, serverAuth" : "clientAuth")
                          << "\n";
                return kExitOk;
            }};
}

Command caRevokeCommand() {
    CommandSpec spec;
    spec.name = "ca revoke";
    spec.summary = "revoke a certificate (by serial) or every certificate of a party";
    spec.usage = "passerelle ca revoke --config FILE (--serial HEX | --party ID) --reason REASON";
    spec.options = {
        configOption(),
        {"serial", true, "the certificate's serial number, hexadecimal (ca list shows it)", "HEX"},
        {"party", true, "revoke every unrevoked certificate of this party", "ID"},
        {"reason", true,
         "unspecified, keyCompromise, affiliationChanged, superseded or cessationOfOperation (RFC 5280)",
         "REASON"}};
    spec.details =
        "The revocation takes effect for peers once they load a CRL made after it: run passerelle ca crl\n"
        "and publish the file (docs/federation.md). Each revocation is a certificate-revoked entry of\n"
        "this gateway's ledger.";
    return {spec, [](const ParsedOptions& options) {
                const auto serial = options.optional("serial");
                const auto party = options.optional("party");
                if (serial.has_value() == party.has_value())
                    throw UsageError("give exactly one of --serial and --party");
                const auto reason = federation::parseRevocationReason(options.value("reason"));
                const auto config = config::GatewayConfig::load(options.value("config"));
                const auto revoked = federation::revokeCertificates(
                    config, federation::RevocationTarget{serial.value_or(""), party.value_or("")}, reason);
                for (const auto& c : revoked) {
                    std::cout << "revoked " << c.serial << " of " << c.party << " ("
                              << federation::toText(reason) << ")\n";
                }
                std::cout << "run passerelle ca crl and publish the CRL for the revocation to take effect\n";
                return kExitOk;
            }};
}

Command caCrlCommand() {
    CommandSpec spec;
    spec.name = "ca crl";
    spec.summary = "write a certificate revocation list signed by the issuing key";
    spec.usage = "passerelle ca crl --config FILE [--out FILE]";
    spec.options = {configOption(),
                    {"out", true, "where to write it (default: crl.pem in the CA folder)", "FILE"}};
    spec.details =
        "Lists every revoked serial with its reason; nextUpdate is [ca] crl_days away, so make and\n"
        "publish a new one before then. Peers load it through [tls] crl.";
    return {spec, [](const ParsedOptions& options) {
                const auto config = config::GatewayConfig::load(options.value("config"));
                const auto out = options.optional("out");
                const auto written = federation::publishCrl(
                    config, out ? std::optional<std::filesystem::path>(*out) : std::nullopt);
                std::cout << "CRL number " << written.crl.number << " written to " << written.file.string()
                          << ": " << written.crl.revoked << " revoked certificate(s), next update "
                          << written.crl.nextUpdate << "\n";
                return kExitOk;
            }};
}

Command caListCommand() {
    CommandSpec spec;
    spec.name = "ca list";
    spec.summary = "list the certificates this CA issued, and which are revoked";
    spec.usage = "passerelle ca list --config FILE [--json]";
    spec.options = {configOption(), {"json", false, "print a JSON array instead of a table", ""}};
    return {spec, [](const ParsedOptions& options) {
                const auto config = config::GatewayConfig::load(options.value("config"));
                const auto issued = federation::listCertificates(config);
                if (options.has("json")) {
                    Poco::JSON::Array array;
                    for (const auto& c : issued) {
                        Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
                        object.set("serial", c.serial);
                        object.set("party", c.party);
                        object.set("not_before", c.notBefore);
                        object.set("not_after", c.notAfter);
                        object.set("sha256", c.sha256);
                        object.set("server", c.server);
                        object.set("revoked", c.revocation.has_value());
                        if (c.revocation) {
                            object.set("revoked_at", c.revocation->time);
                            object.set("reason", std::string(federation::toText(c.revocation->reason)));
                        }
                        array.add(object);
                    }
                    array.stringify(std::cout);
                    std::cout << "\n";
                    return kExitOk;
                }
                if (issued.empty()) {
                    std::cout << "no certificate issued yet\n";
                    return kExitOk;
                }
                for (const auto& c : issued) {
                    std::cout << c.serial << "  " << c.party << "  not after " << c.notAfter << "  "
                              << revocationText(c) << "\n";
                }
                return kExitOk;
            }};
}

}  // namespace passerelle::cli
