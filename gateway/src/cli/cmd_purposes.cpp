// passerelle purposes: what each configured purpose lets leave, and why.

#include "cli/commands.h"
#include "config/gateway_config.h"
#include "config/processing_register.h"

#include <iostream>

namespace passerelle::cli {

Command purposesCommand() {
    CommandSpec spec;
    spec.name = "purposes";
    spec.summary = "list the configured purposes: legal basis, fields and their class, recipients, retention";
    spec.usage = "passerelle purposes --config FILE [--json]";
    spec.options = {configOption(), {"json", false, "print one JSON object"}};
    spec.details =
        "Each field is shown with its sensitivity class: I identifying, C contact, A analytic,\n"
        "P pseudonym. Reads only the configuration; a purpose missing an item of its GDPR art. 30\n"
        "record makes the configuration fail to load (exit 3, naming the key).";
    return {spec, [](const ParsedOptions& options) {
                const auto config = config::GatewayConfig::load(options.value("config"));
                std::cout << config::renderPurposeList(config, options.has("json"));
                return kExitOk;
            }};
}

}  // namespace passerelle::cli
