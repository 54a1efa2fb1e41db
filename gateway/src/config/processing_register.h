#pragma once
// The record of processing activities (GDPR art. 30) of one party, built from
// its configuration alone: the purposes it declares, with every art. 30 item,
// and the counterparts that send or receive each purpose's data.

#include "config/gateway_config.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::config {

enum class RegisterFormat { Markdown, Csv, Json };

// "md", "csv" or "json"; nullopt for anything else.
std::optional<RegisterFormat> registerFormatFromName(std::string_view name);

// Who exchanges a purpose's data with this party, as the configuration says.
struct PurposeCounterpart {
    std::string party;
    bool sendsToUs = false;  // region side: a peer allowed to send this purpose
    std::string job;         // institution side: the job that sends it (empty on the region side)
};

std::vector<PurposeCounterpart> counterparts(const GatewayConfig& config, const PurposeSettings& purpose);

// The whole register in the chosen format. `generatedAt` is written as is
// (RFC 3339 UTC), so the output is reproducible for a fixed time.
std::string renderRegister(const GatewayConfig& config, RegisterFormat format, std::string_view generatedAt);

// `passerelle purposes`: a readable list, or one JSON object.
std::string renderPurposeList(const GatewayConfig& config, bool json);

}  // namespace passerelle::config
