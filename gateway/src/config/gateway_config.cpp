#include "config/gateway_config.h"

#include "common/errors.h"
#include "common/identifiers.h"
#include "config/config_reader.h"
#include "config/job_mapping.h"
#include "record/record_validator.h"
#include "schedule/cron.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace passerelle::config {

namespace {

// Party and purpose ids are the ones manifests, receipts and requests carry: one
// rule for both (common/identifiers.h), so the configuration can name no party the
// exchange would refuse. Job names and pseudonym domains follow it too.
bool isIdentifier(std::string_view s) { return identifier_rules::Name::accepts(s); }

std::string identifier(const ConfigReader& r, const std::string& key) {
    std::string v = r.required(key);
    if (!isIdentifier(v)) {
        r.fail(key, std::string("must be ") + identifier_rules::Name::kRule);
    }
    return v;
}

std::vector<record::Field> fieldList(const ConfigReader& r, const std::string& key) {
    std::vector<record::Field> fields;
    for (const std::string& name : r.list(key)) {
        if (name == "nir" || name == "social_security_number") {
            r.fail(key, "the French social-security number (NIR) is never accepted by passerelle");
        }
        auto field = record::fieldFromName(name);
        if (!field) {
            r.fail(key, "'" + name + "' is not a field of the trainee record (see docs/configuration.md)");
        }
        if (std::find(fields.begin(), fields.end(), *field) != fields.end()) {
            r.fail(key, "field '" + name + "' is listed twice");
        }
        fields.push_back(*field);
    }
    return fields;
}

// HOST:PORT (port 0 picks a free one). `loopbackOnly` for the plain-HTTP
// listeners (console, admin), which must never face a network.
std::pair<std::string, std::uint16_t> hostAndPort(const ConfigReader& r, const std::string& key, bool loopbackOnly) {
    const std::string listen = r.required(key);
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        r.fail(key, loopbackOnly ? "expected 127.0.0.1:PORT" : "expected HOST:PORT, e.g. 127.0.0.1:8443");
    }
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (loopbackOnly && host != "127.0.0.1" && host != "localhost" && host != "::1") {
        r.fail(key, "this listener speaks plain HTTP, so it listens on the loopback interface only (127.0.0.1); "
                    "reach it from elsewhere through an SSH tunnel");
    }
    const std::string port = listen.substr(colon + 1);
    unsigned value = 0;
    const auto parsed = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || parsed.ec != std::errc() || parsed.ptr != port.data() + port.size() || value > 65535) {
        r.fail(key, "'" + port + "' is not a port number (0-65535; 0 picks a free one)");
    }
    return {host, static_cast<std::uint16_t>(value)};
}

void readGateway(const ConfigReader& r, GatewayConfig& c) {
    r.refuseUnknown("gateway", {"role", "party", "name", "uai", "state_dir", "keys_dir", "plugins_dir",
                                "listen", "max_batch_bytes"});
    const std::string role = r.required("gateway.role");
    if (role == "institution") {
        c.role = Role::Institution;
    } else if (role == "region") {
        c.role = Role::Region;
    } else {
        r.fail("gateway.role", "must be 'institution' or 'region'");
    }
    c.party = identifier(r, "gateway.party");
    c.name = r.optional("gateway.name", c.party);
    if (c.role == Role::Institution) {
        c.uai = r.required("gateway.uai");
        if (c.uai.size() != 8) {
            r.fail("gateway.uai", "a UAI is 7 digits and a check letter");
        }
    }
    c.stateDir = r.path("gateway.state_dir");
    c.keysDir = r.path("gateway.keys_dir", (c.stateDir / "keys").string());
    c.pluginsDir = r.path("gateway.plugins_dir", PASSERELLE_DEFAULT_PLUGIN_DIR);
    c.maxBatchBytes = r.number("gateway.max_batch_bytes", c.maxBatchBytes, 1024, 1ull << 40);
    // The Region always listens (batches); an institution listens only to take
    // extraction requests from the Region.
    if (c.role == Role::Region || r.has("gateway.listen")) {
        std::tie(c.listenHost, c.listenPort) = hostAndPort(r, "gateway.listen", false);
        c.listens = true;
    }
}

void readTls(const ConfigReader& r, GatewayConfig& c) {
    r.refuseUnknown("tls", {"certificate", "private_key", "ca", "crl"});
    c.tls.certificate = r.path("tls.certificate");
    c.tls.privateKey = r.path("tls.private_key");
    c.tls.ca = r.path("tls.ca");
    for (const std::string& crl : r.list("tls.crl")) {
        const std::filesystem::path file = crl;
        c.tls.crls.push_back(file.is_absolute() ? file : (r.file().parent_path() / file).lexically_normal());
    }
}

void readPeers(const ConfigReader& r, GatewayConfig& c) {
    for (const std::string& party : r.children("peer")) {
        const std::string section = "peer." + party;
        if (!isIdentifier(party)) {
            r.fail(section, std::string("a peer is named by its party id: ") + identifier_rules::Name::kRule);
        }
        r.refuseUnknown(section,
                        {"url", "public_keys", "accept_purposes", "extract_purposes", "certificate_sha256"});
        PeerSettings p;
        p.party = party;
        p.publicKeysFile = r.path(section + ".public_keys");
        // An institution sends to its peers; the Region needs an institution's URL
        // only to ask it for an extraction.
        if (c.role == Role::Institution || r.has(section + ".url")) {
            p.url = r.required(section + ".url");
            if (!p.url.starts_with("https://")) {
                r.fail(section + ".url", "must be an https:// URL (exchanges always use mutual TLS)");
            }
            while (p.url.ends_with('/')) p.url.pop_back();
        }
        p.acceptPurposes = r.list(section + ".accept_purposes");
        p.extractPurposes = r.list(section + ".extract_purposes");
        if (!p.extractPurposes.empty() && c.role != Role::Institution) {
            r.fail(section + ".extract_purposes",
                   "extraction requests are served by an institution's gateway; this one has role 'region'");
        }
        // Pinning the certificate's fingerprint narrows trust from "any certificate the
        // CA issued with this name" to "this certificate".
        for (char c : r.optional(section + ".certificate_sha256", "")) {
            if (c == ':') continue;
            if (!std::isxdigit(static_cast<unsigned char>(c))) {
                r.fail(section + ".certificate_sha256", "expected the certificate's SHA-256 fingerprint in hex");
            }
            p.certificateSha256 += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (!p.certificateSha256.empty() && p.certificateSha256.size() != 64) {
            r.fail(section + ".certificate_sha256",
                   "a SHA-256 fingerprint has 64 hex digits (openssl x509 -noout -fingerprint -sha256 -in CERT)");
        }
        c.peers.emplace(party, std::move(p));
    }
}

// Every item of the art. 30 record is required: the message says why, so an
// administrator does not take it for a formality.
std::string art30Item(const ConfigReader& r, const std::string& key, const std::string& what) {
    if (!r.has(key) || r.optional(key, "").empty()) {
        r.fail(key, "is required: " + what +
                        " is part of the purpose's record of processing (GDPR art. 30); a purpose without it "
                        "cannot be used (see docs/configuration.md)");
    }
    return r.required(key);
}

std::vector<std::string> art30List(const ConfigReader& r, const std::string& key, const std::string& what) {
    art30Item(r, key, what);
    std::vector<std::string> items = r.list(key);
    if (items.empty()) {
        r.fail(key, "needs at least one item (comma-separated)");
    }
    return items;
}

std::vector<record::Sensitivity> sensitivityList(const ConfigReader& r, const std::string& key) {
    std::vector<record::Sensitivity> classes;
    for (const std::string& item : r.list(key)) {
        if (item == "I") classes.push_back(record::Sensitivity::Identifying);
        else if (item == "C") classes.push_back(record::Sensitivity::Contact);
        else if (item == "A") classes.push_back(record::Sensitivity::Analytic);
        else if (item == "P") classes.push_back(record::Sensitivity::Pseudonymous);
        else r.fail(key, "'" + item + "' is not a sensitivity class (I, C, A or P)");
    }
    return classes;
}

std::string_view className(record::Sensitivity s) {
    switch (s) {
        case record::Sensitivity::Identifying: return "identifying";
        case record::Sensitivity::Contact: return "contact";
        case record::Sensitivity::Analytic: return "analytic";
        case record::Sensitivity::Pseudonymous: return "pseudonymous";
    }
    return "unknown";
}

void readPurposes(const ConfigReader& r, GatewayConfig& c) {
    for (const std::string& id : r.children("purpose")) {
        const std::string section = "purpose." + id;
        if (!isIdentifier(id)) {
            r.fail(section, std::string("a purpose id is ") + identifier_rules::Name::kRule);
        }
        r.refuseUnknown(section, {"description", "legal_basis", "controller", "controller_contact", "dpo_contact",
                                  "data_subjects", "fields", "required", "forbid_classes", "recipients",
                                  "retention_days", "pseudonym_domain", "security_measures"});
        const std::string k = section + ".";
        PurposeSettings p;
        p.id = id;
        p.description = art30Item(r, k + "description", "what the data is for");
        p.legalBasis = art30Item(r, k + "legal_basis", "the legal basis");
        p.controller = art30Item(r, k + "controller", "the controller's name");
        p.controllerContact = art30Item(r, k + "controller_contact", "the controller's contact");
        p.dpoContact = art30Item(r, k + "dpo_contact", "the data-protection officer's contact");
        p.dataSubjects = art30Item(r, k + "data_subjects", "the category of data subjects");
        art30Item(r, k + "fields", "the list of fields");
        p.fields = fieldList(r, k + "fields");
        if (p.fields.empty()) {
            r.fail(k + "fields", "a purpose must allow at least one field");
        }
        p.required = r.has(k + "required") ? fieldList(r, k + "required")
                                            : record::RecordValidator::defaultRequired();
        p.forbiddenClasses = sensitivityList(r, k + "forbid_classes");
        for (record::Field f : p.fields) {
            const record::Sensitivity s = record::sensitivityOf(f);
            if (std::find(p.forbiddenClasses.begin(), p.forbiddenClasses.end(), s) != p.forbiddenClasses.end()) {
                r.fail(k + "fields", "field '" + std::string(record::nameOf(f)) + "' is class " + classLetter(f) +
                                         " (" + std::string(className(s)) + "), which " + k +
                                         "forbid_classes refuses for this purpose");
            }
        }
        p.recipients = art30List(r, k + "recipients", "the recipients of the data");
        art30Item(r, k + "retention_days", "the retention period");
        p.retentionDays = static_cast<std::uint32_t>(r.number(k + "retention_days", 0, 1, 36500));
        p.pseudonymDomain = art30Item(r, k + "pseudonym_domain", "the pseudonym domain");
        if (!isIdentifier(p.pseudonymDomain)) {
            r.fail(k + "pseudonym_domain", std::string("must be ") + identifier_rules::Name::kRule);
        }
        p.securityMeasures = art30List(r, k + "security_measures", "the security measures");
        c.purposes.emplace(id, std::move(p));
    }
}

// Which plugin settings name a file or folder (docs/configuration.md): `path`,
// `directory`, any `*_file`, `client_certificate`, `client_key`, and
// `database` when the connector is SQLite (a file; for PostgreSQL it is a
// connection string). Relative ones resolve against the configuration file's
// folder, like every other path; an empty value stays empty, for the plugin
// to name as missing.
bool namesAFile(const std::string& key, const PluginSettings& settings) {
    if (key == "path" || key == "directory" || key == "client_certificate" || key == "client_key" ||
        key.ends_with("_file")) {
        return true;
    }
    if (key != "database") return false;
    return std::any_of(settings.begin(), settings.end(),
                       [](const auto& kv) { return kv.first == "connector" && kv.second == "sqlite"; });
}

void resolvePluginPaths(const ConfigReader& r, PluginSettings& settings) {
    for (auto& [key, value] : settings) {
        if (!value.empty() && namesAFile(key, settings) && std::filesystem::path(value).is_relative()) {
            value = (r.file().parent_path() / value).lexically_normal().string();
        }
    }
}

void readJobs(const ConfigReader& r, GatewayConfig& c) {
    for (const std::string& name : r.children("job")) {
        const std::string section = "job." + name;
        if (!isIdentifier(name)) {
            r.fail(section, std::string("a job name is ") + identifier_rules::Name::kRule);
        }
        if (c.role != Role::Institution) {
            r.fail(section, "jobs run on an institution's gateway; this one has role 'region'");
        }
        r.refuseUnknown(section, {"purpose", "recipient", "source", "source.*", "map.*", "const.*",
                                  "values.*", "schedule", "catch_up", "incremental", "exit_months_ago"});
        JobSettings j;
        j.name = name;
        j.purpose = r.required(section + ".purpose");
        if (!c.purposes.contains(j.purpose)) {
            r.fail(section + ".purpose", "no [purpose." + j.purpose + "] section defines it");
        }
        j.recipient = r.required(section + ".recipient");
        if (!c.peers.contains(j.recipient)) {
            r.fail(section + ".recipient", "no [peer." + j.recipient + "] section defines it");
        }
        j.source = r.required(section + ".source");
        for (const std::string& key : r.leaves(section + ".source")) {
            j.sourceSettings.emplace_back(key, r.optional(section + ".source." + key, ""));
        }
        resolvePluginPaths(r, j.sourceSettings);
        const PurposeSettings& purpose = c.purposes.at(j.purpose);
        readJobMapping(r, section, j);
        for (record::Field f : purpose.required) {
            const bool filled = std::any_of(j.mapping.begin(), j.mapping.end(),
                                            [f](const ColumnMapping& m) { return m.field == f; }) ||
                                std::any_of(j.constants.begin(), j.constants.end(),
                                            [f](const ConstantField& k) { return k.field == f; });
            if (!filled) {
                r.fail(section + ".map." + std::string(record::nameOf(f)),
                       "purpose '" + j.purpose + "' requires this field but the job neither maps it nor " +
                           "sets it with const." + std::string(record::nameOf(f)));
            }
        }
        j.schedule = r.optional(section + ".schedule", "");
        if (!j.schedule.empty()) {
            try {
                schedule::CronExpression::parse(j.schedule);
            } catch (const ConfigError& e) {
                r.fail(section + ".schedule", std::string(e.what()) +
                                                  " (a cron expression in Europe/Paris time, e.g. '0 6 1 * *')");
            }
        }
        j.catchUp = r.flag(section + ".catch_up", j.catchUp);
        j.incremental = r.flag(section + ".incremental", j.incremental);
        if (j.incremental && purpose.pseudonymDomain.empty()) {
            r.fail(section + ".incremental", "an incremental job recognises a trainee from one run to the next by "
                                             "pseudonym, and purpose '" + j.purpose + "' has no pseudonym_domain");
        }
        j.exitMonthsAgo = static_cast<std::uint32_t>(r.number(section + ".exit_months_ago", 0, 0, 120));
        c.jobs.emplace(name, std::move(j));
    }
}

void readSink(const ConfigReader& r, GatewayConfig& c) {
    if (!r.has("sink.plugin")) {
        if (c.role == Role::Region) {
            r.fail("sink.plugin", "the Region's gateway needs a sink (e.g. sink.csv)");
        }
        return;
    }
    SinkSettings s;
    s.plugin = r.required("sink.plugin");
    r.refuseUnknown("sink", {"plugin", "settings.*"});
    for (const std::string& key : r.leaves("sink.settings")) {
        s.settings.emplace_back(key, r.optional("sink.settings." + key, ""));
    }
    resolvePluginPaths(r, s.settings);
    c.sink = std::move(s);
}

}  // namespace

char classLetter(record::Field field) { return static_cast<char>(record::sensitivityOf(field)); }

std::string fieldWithClass(record::Field field) {
    return std::string(record::nameOf(field)) + " (" + classLetter(field) + ")";
}

std::string_view roleName(Role role) { return role == Role::Institution ? "institution" : "region"; }

void readLedger(const ConfigReader& r, GatewayConfig& c) {
    r.refuseUnknown("ledger", {"checkpoint_every", "checkpoint_interval_seconds", "retention_days"});
    c.ledger.checkpointEvery = r.number("ledger.checkpoint_every", c.ledger.checkpointEvery, 1, 1'000'000);
    c.ledger.checkpointIntervalSeconds =
        r.number("ledger.checkpoint_interval_seconds", c.ledger.checkpointIntervalSeconds, 1, 86'400);
    c.ledger.retentionDays =
        static_cast<std::uint32_t>(r.number("ledger.retention_days", c.ledger.retentionDays, 0, 36'500));
}

void readConsole(const ConfigReader& r, GatewayConfig& c) {
    if (r.children("console").empty()) return;
    r.refuseUnknown("console", {"listen", "token_file", "session_hours"});
    ConsoleSettings console;
    std::tie(console.listenHost, console.listenPort) = hostAndPort(r, "console.listen", true);
    console.tokenFile = r.path("console.token_file");
    console.sessionHours = static_cast<std::uint32_t>(r.number("console.session_hours", console.sessionHours, 1, 24 * 7));
    c.console = std::move(console);
}

void readCa(const ConfigReader& r, GatewayConfig& c) {
    if (r.children("ca").empty()) return;
    r.refuseUnknown("ca", {"folder", "certificate_days", "crl_days", "members", "public_url", "peer_keys_folder"});
    CaSettings ca;
    ca.folder = r.path("ca.folder");
    ca.certificateDays = static_cast<std::uint32_t>(r.number("ca.certificate_days", ca.certificateDays, 1, 3'650));
    ca.crlDays = static_cast<std::uint32_t>(r.number("ca.crl_days", ca.crlDays, 1, 366));
    if (r.has("ca.members")) {
        ca.membersFile = r.path("ca.members");
        try {
            ca.members = readFederationMembers(ca.membersFile);
        } catch (const ConfigError& e) {
            r.fail("ca.members", e.what());
        }
    }
    ca.publicUrl = r.optional("ca.public_url", "");
    if (!ca.publicUrl.empty() && !ca.publicUrl.starts_with("https://")) {
        r.fail("ca.public_url", "must be an https:// URL: the address institutions send their batches to");
    }
    while (ca.publicUrl.ends_with('/')) ca.publicUrl.pop_back();
    ca.peerKeysFolder = r.path("ca.peer_keys_folder", (ca.folder / "peers").string());
    c.ca = std::move(ca);
}

void readDirectory(const ConfigReader& r, GatewayConfig& c) {
    // The Region always has one (it may publish); an institution only with the section.
    if (r.children("directory").empty() && c.role != Role::Region) return;
    r.refuseUnknown("directory", {"file", "from", "refresh_minutes"});
    DirectorySettings d;
    d.file = r.has("directory.file") ? r.path("directory.file") : c.stateDir / "directory.json";
    if (c.role == Role::Region) {
        if (r.has("directory.from")) r.fail("directory.from", "is for institutions: the Region publishes the directory");
        if (r.has("directory.refresh_minutes"))
            r.fail("directory.refresh_minutes", "is for institutions: the Region publishes the directory");
    } else {
        d.from = r.required("directory.from");
        const auto peer = c.peers.find(d.from);
        if (peer == c.peers.end()) r.fail("directory.from", "no [peer." + d.from + "] section defines it");
        if (peer->second.url.empty()) r.fail("directory.from", "[peer." + d.from + "] has no url to fetch it from");
        if (c.tls.crls.empty()) {
            r.fail("directory.from", "needs tls.crl: the directory's revocation lists are put in force by "
                                     "writing them over those files (the root's list, then the issuing CA's)");
        }
        d.refreshMinutes =
            static_cast<std::uint32_t>(r.number("directory.refresh_minutes", d.refreshMinutes, 1, 7 * 24 * 60));
    }
    c.directory = std::move(d);
}

void readDelivery(const ConfigReader& r, GatewayConfig& c) {
    r.refuseUnknown("delivery", {"workers", "initial_backoff_seconds", "max_backoff_seconds",
                                 "dead_letter_after_hours", "lease_seconds"});
    DeliverySettings& d = c.delivery;
    d.workers = static_cast<std::uint32_t>(r.number("delivery.workers", d.workers, 1, 64));
    d.initialBackoffSeconds = r.number("delivery.initial_backoff_seconds", d.initialBackoffSeconds, 1, 86'400);
    d.maxBackoffSeconds = r.number("delivery.max_backoff_seconds", d.maxBackoffSeconds, 1, 7 * 86'400);
    if (d.maxBackoffSeconds < d.initialBackoffSeconds) {
        r.fail("delivery.max_backoff_seconds", "is shorter than delivery.initial_backoff_seconds");
    }
    d.deadLetterAfterHours = r.number("delivery.dead_letter_after_hours", d.deadLetterAfterHours, 1, 24 * 365);
    d.leaseSeconds = r.number("delivery.lease_seconds", d.leaseSeconds, 10, 86'400);
}

void readHttp(const ConfigReader& r, GatewayConfig& c) {
    r.refuseUnknown("http", {"rate_per_minute", "burst", "timeout_seconds", "max_request_bytes",
                             "request_max_age_seconds", "handshake_seconds", "workers", "max_connections",
                             "max_connections_per_address"});
    HttpSettings& h = c.http;
    h.ratePerMinute = r.number("http.rate_per_minute", h.ratePerMinute, 0, 1'000'000);
    h.burst = r.number("http.burst", h.burst, 1, 100'000);
    h.timeoutSeconds = r.number("http.timeout_seconds", h.timeoutSeconds, 1, 3600);
    h.maxRequestBytes = r.number("http.max_request_bytes", h.maxRequestBytes, 256, 16 << 20);
    h.requestMaxAgeSeconds = r.number("http.request_max_age_seconds", h.requestMaxAgeSeconds, 10, 3600);
    h.handshakeSeconds = r.number("http.handshake_seconds", h.handshakeSeconds, 1, 300);
    h.workers = r.number("http.workers", h.workers, 1, 256);
    h.maxConnections = r.number("http.max_connections", h.maxConnections, 16, 65'536);
    h.maxConnectionsPerAddress =
        r.number("http.max_connections_per_address", h.maxConnectionsPerAddress, 1, 65'536);
    if (h.maxConnectionsPerAddress > h.maxConnections) {
        r.fail("http.max_connections_per_address", "is above http.max_connections");
    }
}

void readStorage(const ConfigReader& r, GatewayConfig& c) {
    r.refuseUnknown("storage", {"database", "password_file", "pool_size"});
    const std::string database = r.optional("storage.database", "sqlite");
    if (database.rfind("postgresql:", 0) == 0) {
        c.storage.postgresql = database.substr(11);
        if (c.storage.postgresql.empty()) {
            r.fail("storage.database", "'postgresql:' needs a libpq connection string after it, e.g. "
                                       "postgresql:host=db.example dbname=passerelle user=passerelle_gw");
        }
        if (c.storage.postgresql.rfind("//", 0) == 0) {
            r.fail("storage.database", "is a URI; write the keyword=value form instead "
                                       "(postgresql:host=db.example dbname=passerelle user=passerelle_gw): "
                                       "the PostgreSQL connector reads no URIs");
        }
        if (c.storage.postgresql.find("password") != std::string::npos) {
            r.fail("storage.database", "holds a password: put it in the file named by storage.password_file "
                                       "(or in ~/.pgpass), not in the configuration");
        }
        if (r.has("storage.password_file")) c.storage.passwordFile = r.path("storage.password_file");
    } else if (database != "sqlite") {
        r.fail("storage.database", "is neither 'sqlite' (files in gateway.state_dir, the default) nor "
                                   "'postgresql:CONNINFO'");
    } else if (r.has("storage.password_file")) {
        r.fail("storage.password_file", "only applies to storage.database = postgresql:...");
    }
    c.storage.poolSize = static_cast<std::uint32_t>(r.number("storage.pool_size", c.storage.poolSize, 1, 64));
}

void readAdmin(const ConfigReader& r, GatewayConfig& c) {
    if (r.children("admin").empty()) return;
    r.refuseUnknown("admin", {"listen"});
    AdminSettings admin;
    std::tie(admin.listenHost, admin.listenPort) = hostAndPort(r, "admin.listen", true);
    c.admin = std::move(admin);
}

GatewayConfig GatewayConfig::load(const std::filesystem::path& file) {
    ConfigReader r(std::filesystem::absolute(file).lexically_normal());
    static const std::set<std::string> sections = {"gateway", "tls",      "peer", "purpose", "job",    "sink",
                                                   "ledger",  "console",  "delivery", "http", "admin", "storage",
                                                   "ca", "directory"};
    for (const std::string& top : r.children("")) {
        if (!sections.contains(top)) {
            r.fail(top, "unknown section (expected gateway, tls, peer.*, purpose.*, job.*, sink, ledger, console, delivery, http, "
                      "admin, storage, ca, directory)");
        }
    }
    GatewayConfig c;
    c.file = r.file();
    readGateway(r, c);
    readTls(r, c);
    readPeers(r, c);
    readPurposes(r, c);
    readJobs(r, c);
    readSink(r, c);
    readLedger(r, c);
    readConsole(r, c);
    readDelivery(r, c);
    readHttp(r, c);
    readAdmin(r, c);
    readStorage(r, c);
    readCa(r, c);
    readDirectory(r, c);
    // The ledger accounts for the data: it must not forget a batch before the batch is gone.
    for (const auto& [id, purpose] : c.purposes) {
        if (c.ledger.retentionDays != 0 && c.ledger.retentionDays < purpose.retentionDays) {
            r.fail("ledger.retention_days", "is shorter than purpose." + id + ".retention_days (" +
                                                std::to_string(purpose.retentionDays) +
                                                " days): the ledger must outlive the payloads it accounts for");
        }
    }
    for (const auto& [party, peer] : c.peers) {
        for (const std::string& purpose : peer.extractPurposes) {
            if (!c.purposes.contains(purpose)) {
                r.fail("peer." + party + ".extract_purposes", "no [purpose." + purpose + "] section defines it");
            }
        }
    }
    if (c.role == Role::Region) {
        for (const auto& [party, peer] : c.peers) {
            for (const std::string& purpose : peer.acceptPurposes) {
                if (!c.purposes.contains(purpose)) {
                    r.fail("peer." + party + ".accept_purposes", "no [purpose." + purpose + "] section defines it");
                }
            }
        }
    }
    return c;
}

const PeerSettings& GatewayConfig::peer(const std::string& party) const {
    auto it = peers.find(party);
    if (it == peers.end()) {
        throw ConfigError(file.string() + ": no [peer." + party + "] section");
    }
    return it->second;
}

const PurposeSettings& GatewayConfig::purpose(const std::string& id) const {
    auto it = purposes.find(id);
    if (it == purposes.end()) {
        throw ConfigError(file.string() + ": no [purpose." + id + "] section");
    }
    return it->second;
}

const JobSettings& GatewayConfig::job(const std::string& name) const {
    auto it = jobs.find(name);
    if (it == jobs.end()) {
        std::string known;
        for (const auto& [n, j] : jobs) known += (known.empty() ? "" : ", ") + n;
        throw ConfigError(file.string() + ": no job named '" + name + "' (jobs here: " +
                          (known.empty() ? "none" : known) + ")");
    }
    return it->second;
}

}  // namespace passerelle::config
