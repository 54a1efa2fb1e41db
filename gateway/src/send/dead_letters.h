#pragma once
// A dead-lettered batch put back in the outbox by an operator (docs/delivery.md).

#include "party/gateway.h"

#include <string>

namespace passerelle::exchange {

// The batch keeps its id, so the Region stores it at most once whatever happened
// before; its age for the next dead letter counts from now. A batch-requeued ledger
// entry. Throws Error when the batch is not a dead letter in this outbox.
void requeueDeadLetter(Gateway& gateway, const std::string& batchId);

}  // namespace passerelle::exchange
