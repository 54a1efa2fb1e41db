// passerelle check-config: everything a run would need, checked before it runs.

#include "cli/commands.h"
#include "common/errors.h"
#include "config/gateway_config.h"
#include "database/migrations.h"
#include "exchange/gateway.h"
#include "ledger/ledger.h"
#include "store/extraction_requests.h"
#include "store/state_store.h"
#include "plugin/plugin_host.h"
#include "privacy/party_keys.h"
#include "transport/tls_context.h"

#include <iostream>

namespace passerelle::cli {

namespace {

// The PostgreSQL database is reached and its schema read; SQLite files need nothing before the first start.
void checkStorage(const config::GatewayConfig& config) {
    const auto location = exchange::Gateway::postgresLocation(config);
    if (!location) {
        std::cout << "  state: SQLite files in " << config.stateDir.string() << "\n";
        return;
    }
    try {
        db::Database database(*location, 1);
        std::string versions;
        for (const db::Schema* schema :
             {&store::stateSchema(), &store::extractionRequestsSchema(), &ledger::ledgerSchema()}) {
            const int found = db::schemaVersion(database, schema->part);
            const int wanted = schema->steps.back().version;
            versions += (versions.empty() ? "" : ", ") + schema->part + " " + std::to_string(found);
            if (found > wanted) {
                throw StoreError("its " + schema->part + " schema is at version " + std::to_string(found) +
                                 ", newer than this passerelle knows (" + std::to_string(wanted) + ")");
            }
            if (found < wanted) versions += " (will be brought to " + std::to_string(wanted) + ")";
        }
        std::cout << "  state: PostgreSQL " << database.name() << " reachable; schema " << versions << "\n";
    } catch (const StoreError& e) {
        throw ConfigError(config.file.string() + ": key 'storage.database': " + e.what());
    }
}

int checkConfig(const ParsedOptions& options) {
    const auto config = config::GatewayConfig::load(options.value("config"));
    std::cout << "configuration " << config.file.string() << ": syntax and keys OK\n"
              << "  role " << config::roleName(config.role) << ", party " << config.party << ", "
              << config.peers.size() << " peer(s), " << config.purposes.size() << " purpose(s), "
              << config.jobs.size() << " job(s)\n";

    config.role == config::Role::Region ? transport::makeServerContext(config.tls)
                                        : transport::makeClientContext(config.tls);
    std::cout << "  TLS certificate, key and CA load\n";

    try {
        const auto keys = privacy::PartyKeys::load(config.keysDir);
        if (keys.publicKeys().party != config.party) {
            throw ConfigError(config.file.string() + ": key 'gateway.keys_dir': the keys in " +
                              config.keysDir.string() + " belong to '" + keys.publicKeys().party + "'");
        }
    } catch (const KeyError& e) {
        throw ConfigError(config.file.string() + ": key 'gateway.keys_dir': " + e.what() +
                          " (run 'passerelle keys init --config " + config.file.string() + "' to create keys)");
    }
    std::cout << "  own keys load (files mode 0600)\n";

    for (const auto& [party, peer] : config.peers) {
        try {
            const auto keys = privacy::readPublicKeysFile(peer.publicKeysFile);
            if (keys.party != party) {
                throw ConfigError("it holds the keys of '" + keys.party + "'");
            }
        } catch (const Error& e) {
            throw ConfigError(config.file.string() + ": key 'peer." + party + ".public_keys': " + e.what());
        }
    }
    std::cout << "  peers' public keys load\n";

    checkStorage(config);

    for (const auto& [name, job] : config.jobs) {
        try {
            auto plugin = plugin::SourcePlugin::load(config.pluginsDir, job.source);
            plugin->open(job.sourceSettings);
        } catch (const PluginError& e) {
            throw ConfigError(config.file.string() + ": key 'job." + name + ".source': " + e.what());
        }
        std::cout << "  job " << name << ": plugin " << job.source << " loads and opens its source\n";
    }
    if (config.sink) {
        try {
            plugin::SinkPlugin::load(config.pluginsDir, config.sink->plugin)->open(config.sink->settings);
        } catch (const PluginError& e) {
            throw ConfigError(config.file.string() + ": key 'sink.plugin': " + e.what());
        }
        std::cout << "  sink plugin " << config.sink->plugin << " loads and opens\n";
    }
    std::cout << "check-config: OK\n";
    return kExitOk;
}

}  // namespace

Command checkConfigCommand() {
    CommandSpec spec;
    spec.name = "check-config";
    spec.summary = "check a configuration: keys, TLS files, peers' keys, plugins; names the wrong key";
    spec.usage = "passerelle check-config --config FILE";
    spec.options = {configOption()};
    spec.details = "Exit 0 when the gateway could run with this configuration, 3 with a message naming the key.";
    return {spec, checkConfig};
}

}  // namespace passerelle::cli
