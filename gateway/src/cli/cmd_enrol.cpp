// passerelle enrol: the institution's half of enrolment (docs/federation.md). Without
// --import it makes the keys and the request; with --import it checks the Region's
// answer and installs it. Each calls one function of federation/enrolment.h and prints.

#include <iostream>

#include "cli/commands.h"
#include "config/gateway_config.h"
#include "federation/enrolment.h"

namespace passerelle::cli {

namespace {

int writeRequest(const ParsedOptions& options, const config::GatewayConfig& config) {
    if (options.has("root-sha256") || options.has("replace")) {
        throw UsageError("--root-sha256 and --replace go with --import");
    }
    const std::string out = options.optional("out").value_or(config.party + ".enrolment-request.json");
    const auto written =
        federation::writeEnrolmentRequest(config, options.optional("contact").value_or(""), out);
    std::cout << (written.madeTlsKey ? "TLS key made: " : "TLS key kept: ") << config.tls.privateKey.string()
              << "\n"
              << (written.madePartyKeys ? "signing and sealing keys made in " : "signing and sealing keys kept in ")
              << config.keysDir.string() << "\n"
              << "enrolment request written to " << written.file.string() << "\n\n"
              << "  fingerprint  " << written.fingerprint << "\n\n"
              << "Send the file to the Region, then read this fingerprint to it over the phone.\n";
    return kExitOk;
}

int importAnswer(const ParsedOptions& options, const config::GatewayConfig& config) {
    if (options.has("out") || options.has("contact")) throw UsageError("--out and --contact make a request, not an import");
    federation::ImportOptions import;
    import.answerFile = options.value("import");
    import.rootSha256 = options.value("root-sha256");
    import.replace = options.has("replace");
    const auto imported = federation::importEnrolmentAnswer(config, import);
    std::cout << "enrolment answer of " << imported.region << " checked: root pinned, chain, key and signature\n";
    for (const auto& file : imported.written) std::cout << "  " << file.string() << "\n";
    std::cout << "the Region's keys: signing " << imported.regionSignId << ", sealing " << imported.regionBoxId
              << " (the Region's passerelle keys show prints the same ids)\n";
    if (imported.addedRegionPeer) {
        std::cout << "[peer." << imported.region << "] added to " << config.file.string() << "\n";
    }
    std::cout << "next: passerelle check-config --config " << config.file.string()
              << ", then passerelle preview for each job\n";
    return kExitOk;
}

}  // namespace

Command enrolCommand() {
    CommandSpec spec;
    spec.name = "enrol";
    spec.summary = "join the federation: make the keys and the enrolment request, or import the Region's answer";
    spec.usage =
        "passerelle enrol --config FILE [--contact TEXT] [--out FILE]\n"
        "       passerelle enrol --config FILE --import ANSWER --root-sha256 HEX [--replace]";
    spec.options = {
        configOption(),
        {"contact", true,
         "how the Region reaches the gateway's administrators: a service address (e.g. a team's mailbox), "
         "never a person's",
         "TEXT"},
        {"out", true, "where to write the request (default <party>.enrolment-request.json; must not exist)", "FILE"},
        {"import", true, "the answer file the Region made with passerelle peers add", "ANSWER"},
        {"root-sha256", true, "the federation root certificate's SHA-256, from the convention's annex", "HEX"},
        {"replace", false, "with --import: overwrite files that exist with other content", ""}};
    spec.details =
        "Without --import: makes [tls] private_key (ECDSA P-256, mode 0600) unless it exists, the signing\n"
        "and sealing keys in gateway.keys_dir unless they exist (as keys init), and writes one request\n"
        "(party, UAI, name, contact, certificate signing request with CN = party, public keys). It prints\n"
        "a fingerprint of the file: read it to the Region over the phone when it runs peers add.\n"
        "\n"
        "With --import: checks the answer (its root certificate's SHA-256 is --root-sha256, the\n"
        "certificate verifies to it, names this party and is for [tls] private_key, the Region's\n"
        "signature), then writes [tls] certificate, [tls] ca, the files of [tls] crl (root's, then the\n"
        "issuing CA's) and the Region's public.keys at [peer.<region>] public_keys, adding that section\n"
        "when missing. Nothing is written when a check fails. See docs/federation.md.";
    return {spec, [](const ParsedOptions& options) {
                const auto config = config::GatewayConfig::load(options.value("config"));
                return options.has("import") ? importAnswer(options, config) : writeRequest(options, config);
            }};
}

}  // namespace passerelle::cli
