#pragma once
// The gateway's configuration, read once and checked whole: every mistake is
// reported with the file and the key. See docs/configuration.md.

#include "config/federation_members.h"
#include "record/field_catalog.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace passerelle::config {

// What a job or sink hands its plugin: the keys of its section after the plugin
// prefix, in file order. The same shape as plugin::Settings (plugin/plugin_host.h),
// declared here so the configuration does not depend on the plugin loader.
using PluginSettings = std::vector<std::pair<std::string, std::string>>;

enum class Role { Institution, Region };

std::string_view roleName(Role role);

struct TlsSettings {
    std::filesystem::path certificate;
    std::filesystem::path privateKey;
    std::filesystem::path ca;  // the only CA whose peers are accepted
    // Certificate revocation lists of the exchange CA (tls.crl): a peer whose
    // certificate one of them lists is refused during the handshake. Read again
    // when a file changes; empty = no revocation check.
    std::vector<std::filesystem::path> crls;
};

struct PeerSettings {
    std::string party;  // party id; also the CN of the peer's TLS certificate
    std::string url;    // base URL of the peer's exchange listener (institution side)
    std::filesystem::path publicKeysFile;  // the peer's exported public keys
    std::vector<std::string> acceptPurposes;  // purposes this peer may send us (region side)
    std::string certificateSha256;  // optional pin: the peer's certificate SHA-256, lower-case hex
    // Institution side: purposes this peer (the Region) may ask for with a signed
    // extraction request (passerelle extract); empty = none.
    std::vector<std::string> extractPurposes;
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

// const.<field>: the same value for every record (a field the export lacks).
struct ConstantField {
    record::Field field;
    std::string value;
};

// values.<field>: a mapped or constant value equal to an entry's `from` (after
// trimming) becomes its `to`. See docs/configuration.md for the syntax.
struct ValueMap {
    struct Entry {
        std::string from;
        std::string to;
    };
    record::Field field;
    std::vector<Entry> entries;  // in the order written; no two share a `from`
    // values.<field>.strict: a non-empty value matching no entry refuses the row.
    bool strict = false;

    // The `to` of the entry whose `from` is `value` (trimmed), or nullptr.
    const std::string* find(std::string_view value) const;
};

struct JobSettings {
    std::string name;
    std::string purpose;
    std::string recipient;
    std::string source;  // plugin name, e.g. source.csv
    PluginSettings sourceSettings;
    std::vector<ColumnMapping> mapping;
    std::vector<ConstantField> constants;
    std::vector<ValueMap> valueMaps;
    // When it runs by itself in `passerelle run` (docs/delivery.md): a cron
    // expression in Europe/Paris time; empty = only on demand.
    std::string schedule;
    bool catchUp = true;         // a run missed while the gateway was down runs once at start
    bool incremental = false;    // send only records new or changed since the last batch
    std::uint32_t exitMonthsAgo = 0;  // > 0: only trainees who left in that calendar month before the run
};

struct SinkSettings {
    std::string plugin;  // e.g. sink.csv
    PluginSettings settings;
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
    std::uint32_t sessionHours = 8;   // a browser session ends this long after login, active or not
};

// The outbox's delivery workers (docs/delivery.md).
struct DeliverySettings {
    std::uint32_t workers = 2;                    // concurrent deliveries
    std::uint64_t initialBackoffSeconds = 5;      // first pause after a failed attempt
    std::uint64_t maxBackoffSeconds = 900;        // the pause doubles up to this, with jitter
    std::uint64_t deadLetterAfterHours = 72;      // a batch still undelivered this long is dead-lettered
    std::uint64_t leaseSeconds = 300;             // a claimed batch left unfinished this long is free again
};

// The exchange listener's limits (docs/exchange-api.md).
struct HttpSettings {
    std::uint64_t ratePerMinute = 600;        // requests per peer certificate; 0 = unlimited
    std::uint64_t burst = 60;                 // requests a peer may make at once
    std::uint64_t timeoutSeconds = 60;        // per read or write on a connection
    std::uint64_t maxRequestBytes = 64 << 10; // any request body but a batch
    std::uint64_t requestMaxAgeSeconds = 300; // a signed extraction request older (or newer) than this is refused
    std::uint64_t handshakeSeconds = 10;      // a TLS handshake not done by then is closed
    std::uint64_t workers = 16;               // threads answering requests (idle connections hold none)
    std::uint64_t maxConnections = 1024;      // open connections of the exchange listener
    std::uint64_t maxConnectionsPerAddress = 128;  // open connections from one IP address
};

// The admin listener: /metrics and /status over plain HTTP, loopback only.
struct AdminSettings {
    std::string listenHost = "127.0.0.1";
    std::uint16_t listenPort = 0;
};

// Where the durable state lives (docs/operations.md): SQLite files in the state
// folder (the default), or one PostgreSQL database shared by several instances.
struct StorageSettings {
    std::string postgresql;              // libpq conninfo without password; empty = SQLite
    std::filesystem::path passwordFile;  // the PostgreSQL password, when not in ~/.pgpass
    std::uint32_t poolSize = 8;          // PostgreSQL sessions per process
};

// The federation CA this party runs (docs/federation.md): where its folder is and
// how long what it signs stays valid. Present only with a [ca] section.
struct CaSettings {
    std::filesystem::path folder;          // root and issuing certificates, issuing key, what was issued
    std::uint32_t certificateDays = 397;   // a party certificate's validity
    std::uint32_t crlDays = 7;             // a CRL's nextUpdate, from when it is made
    // [ca] members: who may enrol (peers add); read and checked with the file. Empty
    // path: no list, and peers add refuses every request.
    std::filesystem::path membersFile;
    std::vector<FederationMember> members;
    // [ca] public_url: the Region's exchange URL, handed to each enrolled party.
    std::string publicUrl;
    // [ca] peer_keys_folder: where peers add keeps each enrolled peer's public.keys
    // (<folder>/<party>.keys); default <ca folder>/peers.
    std::filesystem::path peerKeysFolder;
};

// The federation's signed directory (docs/federation.md). The Region (always set there)
// serves the file it publishes at GET /v1/directory; an institution with a [directory]
// section fetches it from the peer `from` at start and every refreshMinutes, and keeps
// the version it adopted in `file`.
struct DirectorySettings {
    std::filesystem::path file;        // default: <state_dir>/directory.json
    std::string from;                  // institution side: the [peer.*] that publishes it
    std::uint32_t refreshMinutes = 60;  // institution side
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
    std::uint16_t listenPort = 0;  // the exchange listener (region: batches; institution: extraction requests)
    bool listens = false;          // gateway.listen is set (always on the Region's side)
    std::uint64_t maxBatchBytes = 512ull << 20;
    TlsSettings tls;
    std::map<std::string, PeerSettings> peers;
    std::map<std::string, PurposeSettings> purposes;
    std::map<std::string, JobSettings> jobs;
    std::optional<SinkSettings> sink;
    LedgerSettings ledger;
    std::optional<ConsoleSettings> console;
    DeliverySettings delivery;
    HttpSettings http;
    std::optional<AdminSettings> admin;
    StorageSettings storage;
    std::optional<CaSettings> ca;
    std::optional<DirectorySettings> directory;

    // Reads and checks the file; throws ConfigError naming file and key.
    static GatewayConfig load(const std::filesystem::path& file);

    const PeerSettings& peer(const std::string& party) const;
    const PurposeSettings& purpose(const std::string& id) const;
    const JobSettings& job(const std::string& name) const;
};

}  // namespace passerelle::config
