#include "party/gateway.h"

#include "common/errors.h"
#include "common/random_id.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace passerelle::exchange {
namespace {

// The id in the file, or "" when there is none yet.
std::string readFolderId(const std::filesystem::path& file) {
    std::ifstream in(file);
    char id[33] = {};
    if (!in.read(id, 32) || in.gcount() != 32) return {};
    return std::string(id, 32);
}

// Reads `<state>/.folder-id`, making it (16 random bytes, hex) the first time.
std::string readOrMakeFolderId(const std::filesystem::path& stateDir) {
    const auto file = stateDir / ".folder-id";
    if (std::string id = readFolderId(file); !id.empty()) return id;
    const std::string fresh = randomHex(16);
    const auto tmp = stateDir / (".folder-id.new-" + std::to_string(::getpid()));
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << fresh << "\n";
        if (!out.flush()) throw StoreError("cannot write " + tmp.string());
    }
    // Another process may make it at the same moment: link() keeps the first one.
    const bool linked = ::link(tmp.c_str(), file.c_str()) == 0;
    const int error = errno;
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    if (linked) return fresh;
    if (std::string id = readFolderId(file); !id.empty() && error == EEXIST) return id;
    throw StoreError("cannot create " + file.string() + ": " + std::strerror(error));
}

}  // namespace

std::optional<db::Location> Gateway::postgresLocation(const config::GatewayConfig& config) {
    if (config.storage.postgresql.empty()) return std::nullopt;
    const db::Location location{db::Engine::PostgreSQL, config.storage.postgresql};
    if (config.storage.passwordFile.empty()) return location;
    try {
        return db::withPasswordFrom(location, config.storage.passwordFile);
    } catch (const std::invalid_argument& e) {
        throw ConfigError(config.file.string() + ": key 'storage.password_file': " + e.what());
    }
}

std::unique_ptr<Gateway> Gateway::open(const std::filesystem::path& configFile) {
    return std::make_unique<Gateway>(config::GatewayConfig::load(configFile));
}

Gateway::Gateway(config::GatewayConfig config)
    : config_(std::move(config)), folders_(StateFolders::in(config_.stateDir, "")) {
    std::error_code ec;
    std::filesystem::create_directories(config_.stateDir, ec);
    if (ec) {
        throw ConfigError(config_.file.string() + ": key 'gateway.state_dir': cannot create " +
                          config_.stateDir.string() + ": " + ec.message());
    }
    ::chmod(config_.stateDir.c_str(), 0700);
    keys_ = std::make_unique<privacy::PartyKeys>(privacy::PartyKeys::load(config_.keysDir));
    peers_ = PeerKeys::load(config_);
    for (const auto& dir : {outboxDir(), inboxDir(), quarantineDir()}) {
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            throw StoreError("cannot create " + dir.string() + ": " + ec.message());
        }
    }
    folders_.folderId = readOrMakeFolderId(config_.stateDir);
    std::shared_ptr<db::Database> shared;
    if (const auto location = postgresLocation(config_)) {
        shared = std::make_shared<db::Database>(*location, config_.storage.poolSize);
        ledger_ = std::make_unique<ledger::Ledger>(shared);
    } else {
        ledger_ = std::make_unique<ledger::Ledger>(ledgerFile());
    }
    const privacy::PartyKeys& keys = *keys_;
    ledger_->setCheckpointSigner(
        config_.party, keys.publicKeys().sign.id(),
        [&keys](std::span<const std::uint8_t> bytes) { return keys.sign(bytes); }, config_.ledger.checkpointEvery);
    ownKeys_ = readOwnSignKeys(config_.keysDir);
    ownSignKeys_ = signKeysById(ownKeys_);
    store_ = shared ? std::make_unique<store::StateStore>(shared)
                    : std::make_unique<store::StateStore>(config_.stateDir / "state.db");
}

Gateway::~Gateway() {
    try {
        if (ledger_ && ledger_->appendedHere() > 0 && ledger_->uncheckpointed() > 0) ledger_->checkpoint();
    } catch (const Error&) {
        // Shutting down: the next start signs it; verify reports nothing missing meanwhile.
    }
}

ledger::KeyResolver Gateway::checkpointKeys() const {
    return checkpointKeyResolver(config_.party, ownKeys_, peers_);
}

}  // namespace passerelle::exchange
