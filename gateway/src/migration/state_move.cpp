#include "migration/state_move.h"

#include <system_error>

namespace passerelle::migration {

StateMove moveState(const config::GatewayConfig& config, const SqliteState& source,
                    const db::Location& target, const std::function<void()>& starting,
                    const CopyProgress& progress) {
    const ledger::KeyResolver keys = checkpointKeysOf(config);
    if (starting) starting();
    StateMove move;
    move.report = moveStore(source, target, keys, progress);
    std::error_code ec;
    move.filesOutsideStateDir = !std::filesystem::equivalent(source.folder, config.stateDir, ec);
    return move;
}

}  // namespace passerelle::migration
