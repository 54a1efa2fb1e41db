// passerelle peers add: the Region's half of enrolment (docs/federation.md). Parses,
// calls federation/peer_enrolment.h and prints.

#include <iostream>

#include "cli/commands.h"
#include "config/gateway_config.h"
#include "federation/peer_enrolment.h"

namespace passerelle::cli {

namespace {

std::vector<std::string> commaList(const std::string& text) {
    std::vector<std::string> items;
    std::string item;
    for (char c : text + ",") {
        if (c == ',') {
            const auto first = item.find_first_not_of(' ');
            if (first != std::string::npos) items.push_back(item.substr(first, item.find_last_not_of(' ') - first + 1));
            item.clear();
        } else {
            item += c;
        }
    }
    return items;
}

}  // namespace

Command peersAddCommand() {
    CommandSpec spec;
    spec.name = "peers add";
    spec.summary = "enrol an institution: check its request, issue its certificate, add it as a peer";
    spec.usage =
        "passerelle peers add --config FILE --request FILE --fingerprint FP --out ANSWER [--server] [--san NAME ...]\n"
        "       [--url URL] [--accept PURPOSE,...] [--region-url URL] [--replace]";
    spec.options = {
        configOption(),
        {"request", true, "the institution's enrolment request (passerelle enrol)", "FILE"},
        {"fingerprint", true, "the request's fingerprint, as the institution read it over the phone", "FP"},
        {"out", true, "where to write the answer the institution imports (must not exist)", "ANSWER"},
        {"server", false, "the certificate also has serverAuth: the institution listens (extraction requests)", ""},
        {"san", true, "another subjectAltName: a host name or an IP address", "NAME", true},
        {"url", true, "the institution's exchange URL (https://…), for extraction requests", "URL"},
        {"accept", true, "the purposes it may send (default: every purpose of this configuration)", "PURPOSE,..."},
        {"region-url", true, "the URL institutions send to (default: [ca] public_url)", "URL"},
        {"replace", false, "enrol a party that is a peer already: its [peer.*] section and key file are replaced",
         ""}};
    spec.details =
        "Refuses, changing nothing, when: the file is not a request; the fingerprint differs; the UAI's\n"
        "check letter is wrong; the UAI is not in [ca] members or is another party's; the request's CSR\n"
        "does not verify or its CN differs from the party; the public keys are another party's; the\n"
        "issuing certificate expired; the party is a peer already (unless --replace). Then it issues\n"
        "the certificate (a certificate-issued entry in the ledger), writes the party's public.keys to\n"
        "[ca] peer_keys_folder/<party>.keys, appends [peer.<party>] (public_keys, accept_purposes,\n"
        "certificate_sha256) to the configuration file (or replaces it), writes a peer-enrolled ledger\n"
        "entry and the answer, signed with this gateway's key. Restart passerelle run for the new peer\n"
        "to be accepted.";
    return {spec, [](const ParsedOptions& options) {
                const auto config = config::GatewayConfig::load(options.value("config"));
                federation::PeerAddition addition;
                addition.requestFile = options.value("request");
                addition.fingerprint = options.value("fingerprint");
                addition.answerFile = options.value("out");
                addition.server = options.has("server");
                addition.extraNames = options.all("san");
                addition.url = options.optional("url");
                if (const auto accept = options.optional("accept")) addition.acceptPurposes = commaList(*accept);
                addition.regionUrl = options.optional("region-url");
                addition.replace = options.has("replace");
                const auto added = federation::addEnrolledPeer(config, addition);
                std::cout << "peer " << added.party << " enrolled\n"
                          << "  certificate  serial " << added.serial << ", not after " << added.notAfter << "\n"
                          << "               sha256 " << added.sha256 << "\n"
                          << "  public keys  " << added.publicKeysFile.string() << "\n"
                          << "  accepts      " << [&] {
                                 std::string s;
                                 for (const auto& p : added.acceptPurposes) s += (s.empty() ? "" : ", ") + p;
                                 return s;
                             }() << "\n"
                          << "[peer." << added.party << "] " << (added.replaced ? "replaced in " : "added to ")
                          << config.file.string() << "\n"
                          << "answer written to " << addition.answerFile.string()
                          << ": send it to the institution (passerelle enrol --import); restart passerelle run\n";
                if (added.replaced) {
                    std::cout << "then revoke the certificate it replaces: passerelle ca revoke --config "
                              << config.file.string() << " "
                              << (added.previousSerial.empty() ? "--serial SERIAL (see ca list)"
                                                               : "--serial " + added.previousSerial)
                              << " --reason superseded, and publish a CRL (passerelle ca crl)\n";
                }
                return kExitOk;
            }};
}

}  // namespace passerelle::cli
