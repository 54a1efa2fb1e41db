#pragma once
// What `passerelle status` and the admin listener's /status show: per peer,
// the outbox (queue depth, oldest pending batch, last success, last error,
// next attempt, dead letters) or the inbox (batches awaiting the sink, sink
// errors); per scheduled job, its last run and next runs. Read from the state
// store, so it works whether the daemon runs or not.

#include "party/gateway.h"

#include <Poco/JSON/Object.h>

#include <chrono>

namespace passerelle::exchange {

// As one JSON object (the --json form and /status). `now` for the ages and the next runs.
Poco::JSON::Object::Ptr gatewayStatus(Gateway& gateway, std::chrono::system_clock::time_point now);

// "2026-12-01 06:00 CET", on the Europe/Paris wall clock.
std::string parisTimeText(std::chrono::sys_seconds t);

}  // namespace passerelle::exchange
