#pragma once
// The gateway's configuration, read once and checked whole: every mistake is
// reported with the file and the key. See docs/configuration.md.

#include "plugin/plugin_host.h"
#include "record/field_catalog.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace passerelle::config {

enum class Role { Institution, Region };

std::string_view roleName(Role role);

struct TlsSettings {
    std::filesystem::path certificate;
    std::filesystem::path privateKey;
    std::filesystem::path ca;  // the only CA whose peers are accepted
};

struct PeerSettings {
    std::string party;  // party id; also the CN of the peer's TLS certificate
    std::string url;    // base URL of the peer's exchange listener (institution side)
    std::filesystem::path publicKeysFile;  // the peer's exported public keys
    std::vector<std::string> acceptPurposes;  // purposes this peer may send us (region side)
    std::string certificateSha256;  // optional pin: the peer's certificate SHA-256, lower-case hex
};

// A purpose is the unit of GDPR accountability: what may leave, and why. It
// holds every item of its record of processing (GDPR art. 30); a purpose
// missing one is refused at load time, so no transfer can use it.
struct PurposeSettings {
    std::string id;
    std::string description;
    std::string legalBasis;          // e.g. GDPR art. 6(1)(e) + the convention's article
    std::string controller;          // the controller's name
    std::string controllerContact;   // how to reach the controller
    std::string dpoContact;          // the data-protection officer's contact
    std::string dataSubjects;        // category of data subjects
    std::vector<record::Field> fields;    // allowed fields, in batch order
    std::vector<record::Field> required;  // a record missing one is quarantined
    std::vector<record::Sensitivity> forbiddenClasses;  // classes no field of this purpose may have
    std::vector<std::string> recipients;                // recipients (categories) of the data
    std::uint32_t retentionDays = 0;
    std::string pseudonymDomain;
    std::vector<std::string> securityMeasures;
};

// The sensitivity class letter of a field (I, C, A or P), from the record catalogue.
char classLetter(record::Field field);
// "email (C)", the way purposes and registers list a field.
std::string fieldWithClass(record::Field field);

struct ColumnMapping {
    record::Field field;
    std::string column;  // the export's column name
};

struct JobSettings {
    std::string name;
    std::string purpose;
    std::string recipient;
    std::string source;  // plugin name, e.g. source.csv
    plugin::Settings sourceSettings;
    std::vector<ColumnMapping> mapping;
};

struct SinkSettings {
    std::string plugin;  // e.g. sink.csv
    plugin::Settings settings;
};

// The ledger's checkpoints and retention (docs/ledger.md).
struct LedgerSettings {
    std::uint64_t checkpointEvery = 100;              // entries between automatic checkpoints
    std::uint64_t checkpointIntervalSeconds = 300;    // the daemon's timer, when entries are pending
    std::uint32_t retentionDays = 0;                  // entry bytes kept this long; 0 keeps them forever
};

// The DPO console (docs/console.md): its own listener, loopback only, behind a token.
struct ConsoleSettings {
    std::string listenHost = "127.0.0.1";
    std::uint16_t listenPort = 0;
    std::filesystem::path tokenFile;  // created (0600, random) when missing
};

struct GatewayConfig {
    std::filesystem::path file;
    Role role = Role::Institution;
    std::string party;
    std::string name;
    std::string uai;  // institution side
    std::filesystem::path stateDir;
    std::filesystem::path keysDir;
    std::filesystem::path pluginsDir;
    std::string listenHost = "127.0.0.1";
    std::uint16_t listenPort = 0;  // region side: the exchange listener
    std::uint64_t maxBatchBytes = 512ull << 20;
    TlsSettings tls;
    std::map<std::string, PeerSettings> peers;
    std::map<std::string, PurposeSettings> purposes;
    std::map<std::string, JobSettings> jobs;
    std::optional<SinkSettings> sink;
    LedgerSettings ledger;
    std::optional<ConsoleSettings> console;

    // Reads and checks the file; throws ConfigError naming file and key.
    static GatewayConfig load(const std::filesystem::path& file);

    const PeerSettings& peer(const std::string& party) const;
    const PurposeSettings& purpose(const std::string& id) const;
    const JobSettings& job(const std::string& name) const;
};

}  // namespace passerelle::config
