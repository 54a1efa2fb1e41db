// passerelle directory publish / fetch / show: the federation's signed directory
// (docs/federation.md). Publishing runs on the Region's administration host; an
// institution's daemon fetches on its own, `fetch` does one round by hand.

#include <algorithm>
#include <array>
#include <iostream>

#include "cli/commands.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "config/gateway_config.h"
#include "federation/directory_builder.h"
#include "federation/directory_file.h"
#include "federation/directory_refresh.h"
#include "party/gateway.h"
#include "privacy/key_folder.h"

namespace passerelle::cli {

namespace {

const config::DirectorySettings& directorySettings(const config::GatewayConfig& config) {
    if (!config.directory) {
        throw ConfigError(config.file.string() + ": no [directory] section (docs/federation.md, \"The directory\")");
    }
    return *config.directory;
}

std::map<std::string, federation::DirectoryMember> membersOf(const config::GatewayConfig& config) {
    std::map<std::string, federation::DirectoryMember> members;
    if (!config.ca) return members;
    for (const auto& m : config.ca->members) members[m.party] = {m.uai, m.name.empty() ? m.party : m.name};
    return members;
}

std::string keyIdOfHex(const std::string& hex) {
    std::array<std::uint8_t, 32> key{};
    const auto bytes = fromHex(hex, key.size());
    std::copy(bytes.begin(), bytes.end(), key.begin());
    return privacy::keyIdOf(key);
}

std::string keyIds(const federation::DirectoryParty& party) {
    std::string out;
    for (const auto& key : party.keys) {
        if (!key.current) continue;
        out += (out.empty() ? "" : ", ") + std::string(federation::toText(key.use)) + " " +
               keyIdOfHex(key.publicKeyHex);
    }
    return out;
}

}  // namespace

Command directoryPublishCommand() {
    CommandSpec spec;
    spec.name = "directory publish";
    spec.summary = "sign and publish the federation's directory (the Region)";
    spec.usage = "passerelle directory publish --config FILE";
    spec.options = {configOption()};
    spec.details =
        "Lists the Region and every [peer.*] with its UAI and name ([ca] members), endpoint, certificate\n"
        "(its certificate_sha256 pin, or the newest unrevoked certificate the CA issued it), purposes and\n"
        "whole key history (public_keys), with the CA chain and its revocation lists (federation-ca.pem,\n"
        "root.crl, crl.pem). Signs it with the Region's key as the next version and writes it to\n"
        "[directory] file, which the running daemon serves at GET /v1/directory. A directory-published\n"
        "ledger entry records each version. Run it after peers add, ca revoke + ca crl, or a peer's\n"
        "key rotation.";
    return {spec, [](const ParsedOptions& options) {
                const auto gateway = exchange::Gateway::open(options.value("config"));
                const auto& config = gateway->config();
                const auto& settings = directorySettings(config);
                if (config.role != config::Role::Region) {
                    throw ConfigError(config.file.string() + ": only the Region publishes the directory");
                }
                auto content = federation::buildDirectory(config, membersOf(config), gateway->peers(),
                                                          privacy::KeyFolder::publicKeysWithHistory(config.keysDir));
                if (config.ca && !config.ca->publicUrl.empty()) content.parties.front().endpoint = config.ca->publicUrl;
                SystemClock clock;
                const auto published = federation::publishDirectory(content, gateway->keys(),
                                                                    federation::DirectoryFile(settings.file),
                                                                    gateway->ledger(), clock);
                std::cout << "directory version " << published.version << " published to " << settings.file.string()
                          << " (" << content.parties.size() << " parties, " << content.crls.size()
                          << " revocation lists)\n"
                          << "  sha256 " << published.sha256 << "\n";
                return kExitOk;
            }};
}

Command directoryFetchCommand() {
    CommandSpec spec;
    spec.name = "directory fetch";
    spec.summary = "fetch, check and adopt the Region's directory now (an institution)";
    spec.usage = "passerelle directory fetch --config FILE";
    spec.options = {configOption()};
    spec.details =
        "What the daemon does at start and every [directory] refresh_minutes: GET /v1/directory from\n"
        "[directory] from over mutual TLS, checks the Region's signature with its key of [peer.<from>]\n"
        "public_keys, refuses a version older than the one held, and adopts a new one: [directory] file,\n"
        "a directory-adopted ledger entry, and each newer revocation list written over the [tls] crl file\n"
        "of the same issuer (the running daemon reads it again without a restart).";
    return {spec, [](const ParsedOptions& options) {
                const auto gateway = exchange::Gateway::open(options.value("config"));
                const auto& settings = directorySettings(gateway->config());
                const auto refresh =
                    federation::refreshDirectory(gateway->config(), gateway->peers(), gateway->ledger());
                std::cout << "directory version " << refresh.adoption.version.version << " of " << settings.from
                          << (refresh.adoption.changed ? " adopted" : " already held") << " ("
                          << refresh.adoption.directory.parties.size() << " parties)\n"
                          << "  sha256 " << refresh.adoption.version.sha256 << "\n";
                for (const auto& file : refresh.installedCrls) {
                    std::cout << "  revocation list " << file.string() << " replaced by a newer one\n";
                }
                return kExitOk;
            }};
}

Command directoryShowCommand() {
    CommandSpec spec;
    spec.name = "directory show";
    spec.summary = "print the directory this gateway holds (published or adopted)";
    spec.usage = "passerelle directory show --config FILE [--json]";
    spec.options = {configOption(), {"json", false, "print the directory's signed JSON document itself", ""}};
    return {spec, [](const ParsedOptions& options) {
                const auto config = config::GatewayConfig::load(options.value("config"));
                const federation::DirectoryFile file(directorySettings(config).file);
                const auto held = file.read();
                if (!held) {
                    std::cout << "no directory held yet in " << file.path().string() << "\n";
                    return kExitOk;
                }
                const auto directory = federation::parseDirectory(held->json);
                if (options.has("json")) {
                    std::cout << held->json << "\n";
                    return kExitOk;
                }
                std::cout << "directory version " << directory.version << " of " << directory.region << ", issued "
                          << directory.issued << "\n"
                          << "  sha256 " << federation::directoryDigest(*held) << "\n";
                for (const auto& p : directory.parties) {
                    std::cout << "  " << p.id << "  " << federation::toText(p.role) << "  "
                              << (p.uai.empty() ? "-" : p.uai) << "  " << p.name << "\n"
                              << "      endpoint " << (p.endpoint.empty() ? "-" : p.endpoint) << "; certificate "
                              << p.certificateSha256.substr(0, 16) << "…; keys " << keyIds(p) << " ("
                              << p.keys.size() << " in history)\n";
                }
                std::cout << "  " << directory.crls.size() << " revocation list(s)\n";
                return kExitOk;
            }};
}

}  // namespace passerelle::cli
