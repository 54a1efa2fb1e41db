#pragma once
// One job, once, end to end (`passerelle transfer`): read, validate, seal and
// queue the batch, deliver it and wait for its receipt, then deliver what else is
// due for the same recipient (docs/delivery.md).

#include "common/errors.h"
#include "party/gateway.h"
#include "send/batch_delivery.h"
#include "send/batch_preparer.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace passerelle::exchange {

// The job runs in another process (the daemon's schedule, another transfer) or instance.
class JobAlreadyRunning : public Error {
public:
    using Error::Error;
};

struct TransferReport {
    PreparedBatch prepared;
    std::optional<DeliveryOutcome> ours;  // this run's batch, when one was sealed
    std::uint64_t olderDelivered = 0;     // older batches for the recipient receipted too

    bool receipted() const { return ours && ours->receipted; }
};

// Throws ConfigError on a Region's gateway, JobAlreadyRunning when the job's locks
// are held. `progress` is told the rows read so far.
TransferReport transferOnce(Gateway& gateway, const std::string& jobName,
                            const std::function<void(std::uint64_t rows)>& progress = {});

}  // namespace passerelle::exchange
