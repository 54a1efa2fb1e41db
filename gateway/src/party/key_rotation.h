#pragma once
// A key rotation is an act the DPO must be able to see: the keys are replaced
// (privacy/key_folder.h keeps the retired ones), the ledger records it (key ids
// only), and the closing checkpoint is signed with the new key.

#include "config/gateway_config.h"
#include "privacy/key_folder.h"

namespace passerelle::exchange {

// The signing and sealing keys; a keys-rotated ledger entry.
privacy::KeyFolder::SealingRotation rotateSealingKeys(const config::GatewayConfig& config);
// The pseudonym key (a new epoch); a pseudonym-key-rotated ledger entry.
privacy::KeyFolder::PseudonymRotation rotatePseudonymKey(const config::GatewayConfig& config);

}  // namespace passerelle::exchange
