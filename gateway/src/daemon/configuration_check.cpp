#include "daemon/configuration_check.h"

#include "common/errors.h"
#include "config/gateway_config.h"
#include "database/migrations.h"
#include "ledger/ledger.h"
#include "party/gateway.h"
#include "plugin/plugin_host.h"
#include "privacy/party_keys.h"
#include "store/extraction_requests.h"
#include "store/state_store.h"
#include "transport/tls_context.h"

namespace passerelle::daemon {

namespace {

using Say = std::function<void(const std::string&)>;

// The PostgreSQL database is reached and its schema read; SQLite files need nothing before the first start.
void checkStorage(const config::GatewayConfig& config, const Say& say) {
    const auto location = exchange::Gateway::postgresLocation(config);
    if (!location) {
        say("  state: SQLite files in " + config.stateDir.string());
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
        say("  state: PostgreSQL " + database.name() + " reachable; schema " + versions);
    } catch (const StoreError& e) {
        throw ConfigError(config.file.string() + ": key 'storage.database': " + e.what());
    }
}

}  // namespace

void checkConfiguration(const std::filesystem::path& configFile, const Say& say) {
    const auto config = config::GatewayConfig::load(configFile);
    say("configuration " + config.file.string() + ": syntax and keys OK");
    say("  role " + std::string(config::roleName(config.role)) + ", party " + config.party + ", " +
        std::to_string(config.peers.size()) + " peer(s), " + std::to_string(config.purposes.size()) +
        " purpose(s), " + std::to_string(config.jobs.size()) + " job(s)");

    config.role == config::Role::Region ? transport::makeServerContext(config.tls)
                                        : transport::makeClientContext(config.tls);
    say("  TLS certificate, key and CA load");

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
    say("  own keys load (files mode 0600)");

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
    say("  peers' public keys load");

    checkStorage(config, say);

    for (const auto& [name, job] : config.jobs) {
        try {
            auto plugin = plugin::SourcePlugin::load(config.pluginsDir, job.source);
            plugin->open(job.sourceSettings);
        } catch (const PluginError& e) {
            throw ConfigError(config.file.string() + ": key 'job." + name + ".source': " + e.what());
        }
        say("  job " + name + ": plugin " + job.source + " loads and opens its source");
    }
    if (config.sink) {
        try {
            plugin::SinkPlugin::load(config.pluginsDir, config.sink->plugin)->open(config.sink->settings);
        } catch (const PluginError& e) {
            throw ConfigError(config.file.string() + ": key 'sink.plugin': " + e.what());
        }
        say("  sink plugin " + config.sink->plugin + " loads and opens");
    }
}


}  // namespace passerelle::daemon
