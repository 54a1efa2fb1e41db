// passerelle keys init / keys export-public: this party's libsodium keys.

#include "cli/commands.h"
#include "common/encoding.h"
#include "config/gateway_config.h"
#include "privacy/party_keys.h"

#include <fstream>
#include <iostream>

namespace passerelle::cli {

Command keysInitCommand() {
    CommandSpec spec;
    spec.name = "keys init";
    spec.summary = "create this party's signing, sealing and pseudonym keys (never overwrites)";
    spec.usage = "passerelle keys init --config FILE";
    spec.options = {configOption()};
    spec.details =
        "Writes sign.key (Ed25519), box.key (X25519) and pseudonym.key (pseudonym master key) with\n"
        "mode 0600 into gateway.keys_dir, and public.keys, the file to give to your peers.\n"
        "Refuses to overwrite existing keys: losing them makes older batches unreadable.";
    return {spec, [](const ParsedOptions& options) {
                const auto config = config::GatewayConfig::load(options.value("config"));
                privacy::PartyKeys::generate(config.keysDir, config.party);
                const auto keys = privacy::PartyKeys::load(config.keysDir);
                std::cout << "keys created in " << config.keysDir.string() << "\n"
                          << "  signing key id " << keys.publicKeys().sign.id() << "\n"
                          << "  sealing key id " << keys.publicKeys().box.id() << "\n"
                          << "give " << (config.keysDir / "public.keys").string()
                          << " to your peers (passerelle keys export-public prints it)\n";
                return kExitOk;
            }};
}

Command keysExportPublicCommand() {
    CommandSpec spec;
    spec.name = "keys export-public";
    spec.summary = "print this party's public keys, the file its peers configure as peer.<party>.public_keys";
    spec.usage = "passerelle keys export-public --config FILE [--output FILE]";
    spec.options = {configOption(), {"output", true, "write to this file instead of standard output", "FILE"}};
    return {spec, [](const ParsedOptions& options) {
                const auto config = config::GatewayConfig::load(options.value("config"));
                const auto keys = privacy::PartyKeys::load(config.keysDir);
                if (auto output = options.optional("output")) {
                    privacy::writePublicKeysFile(*output, keys.publicKeys());
                    std::cout << "public keys of " << config.party << " written to " << *output << "\n";
                } else {
                    const auto& pub = keys.publicKeys();
                    std::cout << "# passerelle public keys of " << pub.party << "\n"
                              << "party = " << pub.party << "\n"
                              << "sign_public_key = " << toHex(pub.sign.bytes) << "\n"
                              << "box_public_key = " << toHex(pub.box.bytes) << "\n";
                }
                return kExitOk;
            }};
}

}  // namespace passerelle::cli
