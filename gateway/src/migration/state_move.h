#pragma once
// A configured gateway's state moved from its SQLite files into PostgreSQL: the
// use case behind `passerelle migrate-store --config` (docs/migrate-store.md).
// The ledger is verified with the configuration's public keys (no secret is read).

#include "config/gateway_config.h"
#include "database/database.h"
#include "migration/store_move.h"

#include <functional>

namespace passerelle::migration {

struct StateMove {
    StoreMoveReport report;
    // The batch files stay in the source folder: true when that is not the
    // configuration's gateway.state_dir.
    bool filesOutsideStateDir = false;
};

// Moves the state in `source` into the empty database `target` (moveStore).
// `starting` is called once the verifying keys are read, just before the move.
StateMove moveState(const config::GatewayConfig& config, const SqliteState& source,
                    const db::Location& target, const std::function<void()>& starting,
                    const CopyProgress& progress);

}  // namespace passerelle::migration
