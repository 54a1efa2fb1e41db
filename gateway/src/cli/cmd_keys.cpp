// passerelle keys init / rotate / show / export-public: this party's libsodium keys.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <utility>

#include "cli/commands.h"
#include "common/clock.h"
#include "config/gateway_config.h"
#include "party/key_rotation.h"
#include "privacy/key_folder.h"
#include "privacy/party_keys.h"

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
                privacy::KeyFolder::generate(config.keysDir, config.party);
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
    spec.options = {configOption(),
                    {"output", true, "write to this file instead of standard output", "FILE"}};
    return {spec, [](const ParsedOptions& options) {
                const auto config = config::GatewayConfig::load(options.value("config"));
                (void)privacy::PartyKeys::load(config.keysDir);  // refuses a folder whose secrets do not match
                // With the retired keys, so peers still verify what they signed while current.
                const privacy::PublicKeys keys = privacy::KeyFolder::publicKeysWithHistory(config.keysDir);
                if (auto output = options.optional("output")) {
                    privacy::writePublicKeysFile(*output, keys);
                    std::cout << "public keys of " << config.party << " written to " << *output << "\n";
                } else {
                    std::cout << privacy::publicKeysText(keys);
                }
                return kExitOk;
            }};
}


Command keysRotateCommand() {
    CommandSpec spec;
    spec.name = "keys rotate";
    spec.summary = "replace the signing and sealing keys, keeping the old ones so older batches still open";
    spec.usage = "passerelle keys rotate --config FILE [--pseudonym]";
    spec.options = {configOption(),
                    {"pseudonym", false, "rotate the pseudonym key instead (changes every pseudonym)", ""}};
    spec.details =
        "Without --pseudonym: moves sign.key, box.key and public.keys into previous/<box key id>/\n"
        "(folder 0700, files 0600) and writes new ones. Batches sealed to the old box key still open.\n"
        "Give the new public.keys to your peers before sending: they verify your manifests with it.\n"
        "It lists the retired keys with the interval they were current in, so peers still verify the\n"
        "manifests, receipts and checkpoints signed before; for 7 days they also accept new ones\n"
        "signed with the retired key (docs/privacy.md \"Key history\").\n"
        "\n"
        "With --pseudonym: keeps pseudonym.key as previous-pseudonym/<epoch>.key, writes a new one and\n"
        "raises pseudonym.epoch. Every pseudonym of every domain changes (\"<epoch>:<hex>\"), so\n"
        "recipients can no longer link new batches to older ones: do it only when the key may have\n"
        "leaked or the linkability must end, and tell the recipients. The retired key is still used\n"
        "to honour objections recorded before the rotation and to answer access requests about\n"
        "older batches: keep previous-pseudonym/ (see docs/privacy.md).";
    return {spec, [](const ParsedOptions& options) {
                const auto config = config::GatewayConfig::load(options.value("config"));
                if (options.has("pseudonym")) {
                    const auto r = exchange::rotatePseudonymKey(config);
                    std::cout << "pseudonym key rotated in " << config.keysDir.string() << ": epoch "
                              << r.retiredEpoch << " -> " << r.epoch << "\n"
                              << "every pseudonym now starts with \"" << r.epoch << ":\"\n";
                    return kExitOk;
                }
                const auto r = exchange::rotateSealingKeys(config);
                std::cout << "keys rotated in " << config.keysDir.string() << "\n"
                          << "  signing key id " << r.retiredSignId << " -> " << r.signId << "\n"
                          << "  sealing key id " << r.retiredBoxId << " -> " << r.boxId << "\n"
                          << "old keys kept in " << (config.keysDir / "previous" / r.retiredBoxId).string()
                          << "\n"
                          << "give the new " << (config.keysDir / "public.keys").string()
                          << " to your peers (passerelle keys export-public prints it)\n";
                return kExitOk;
            }};
}

Command keysShowCommand() {
    CommandSpec spec;
    spec.name = "keys show";
    spec.summary = "print this party's key ids, retired keys, pseudonym key epoch and key file modes";
    spec.usage = "passerelle keys show --config FILE";
    spec.options = {configOption()};
    spec.details = "Reads public files and file modes only: never prints or loads a secret.";
    return {
        spec, [](const ParsedOptions& options) {
            const auto config = config::GatewayConfig::load(options.value("config"));
            const auto info = privacy::KeyFolder::inspect(config.keysDir);
            std::cout << "party            " << info.party << "\n"
                      << "key folder       " << config.keysDir.string() << "\n"
                      << "signing key id   " << info.signId << "\n"
                      << "sealing key id   " << info.boxId << "\n"
                      << "pseudonym epoch  " << info.pseudonymEpoch << "\n";
            std::cout << "retired keys     "
                      << (info.previous.empty() ? std::string("none") : std::to_string(info.previous.size()))
                      << "\n";
            for (const auto& old : info.previous) {
                std::cout << "  signing " << old.signId << "  sealing " << old.boxId << "\n";
            }
            // The key history peers are given (keys export-public): which key was current when.
            const privacy::PublicKeys history = privacy::KeyFolder::publicKeysWithHistory(config.keysDir);
            const auto when = [](const std::optional<privacy::KeyTime>& t) {
                return t ? formatUtc(*t) : std::string("unrecorded");
            };
            std::cout << "current since    " << when(history.validFrom) << "\n";
            for (const auto& [what, keys] : {std::pair{"signing", &history.retiredSign},
                                             std::pair{"sealing", &history.retiredBox}}) {
                for (const privacy::KeyPeriod& k : *keys) {
                    std::cout << "  " << what << " " << k.id() << " valid " << when(k.validFrom) << " .. "
                              << when(k.validUntil) << "\n";
                }
            }
            if (!info.previousPseudonymEpochs.empty()) {
                std::cout << "retired pseudonym epochs";
                for (const auto epoch : info.previousPseudonymEpochs) {
                    std::cout << " " << epoch;
                }
                std::cout << "\n";
            }
            bool tooOpen = false;
            std::cout << "files\n";
            for (const auto& file : info.files) {
                char mode[8];
                std::snprintf(mode, sizeof mode, "%04o", file.mode);
                const bool bad = file.secret && (file.mode & 077u) != 0;
                tooOpen = tooOpen || bad;
                std::cout << "  " << mode << "  " << file.path.string()
                          << (bad ? "  TOO OPEN: run chmod 600 on it" : "") << "\n";
            }
            return tooOpen ? kExitConfig : kExitOk;
        }};
}

}  // namespace passerelle::cli
