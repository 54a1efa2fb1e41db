#include "party/key_rotation.h"

#include "party/gateway.h"

namespace passerelle::exchange {

namespace {

// Opened after the rotation, so the gateway's closing checkpoint is signed with the new key.
void recordRotation(const config::GatewayConfig& config, ledger::Operation operation, std::string reason) {
    auto gateway = Gateway::open(config.file);
    gateway->ledger().append(
        ledger::LedgerEntry::of(operation, ledger::Outcome::Rotated, "operator", std::move(reason)));
}

}  // namespace

privacy::KeyFolder::SealingRotation rotateSealingKeys(const config::GatewayConfig& config) {
    const auto r = privacy::KeyFolder::rotateSealingKeys(config.keysDir);
    recordRotation(config, ledger::Operation::KeysRotated,
                   "signing key " + r.retiredSignId + " -> " + r.signId + ", sealing key " + r.retiredBoxId +
                       " -> " + r.boxId);
    return r;
}

privacy::KeyFolder::PseudonymRotation rotatePseudonymKey(const config::GatewayConfig& config) {
    const auto r = privacy::KeyFolder::rotatePseudonymKey(config.keysDir);
    recordRotation(config, ledger::Operation::PseudonymKeyRotated,
                   "pseudonym key epoch " + std::to_string(r.retiredEpoch) + " -> " + std::to_string(r.epoch));
    return r;
}

}  // namespace passerelle::exchange
