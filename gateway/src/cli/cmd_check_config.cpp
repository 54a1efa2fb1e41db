// passerelle check-config: everything a run would need, checked before it runs.

#include "cli/commands.h"
#include "daemon/configuration_check.h"

#include <iostream>

namespace passerelle::cli {

namespace {

int checkConfig(const ParsedOptions& options) {
    daemon::checkConfiguration(options.value("config"), [](const std::string& line) { std::cout << line << "\n"; });
    std::cout << "check-config: OK\n";
    return kExitOk;
}

}  // namespace

Command checkConfigCommand() {
    CommandSpec spec;
    spec.name = "check-config";
    spec.summary = "check a configuration: keys, TLS files, peers' keys, plugins; names the wrong key";
    spec.usage = "passerelle check-config --config FILE";
    spec.options = {configOption()};
    spec.details = "Exit 0 when the gateway could run with this configuration, 3 with a message naming the key.";
    return {spec, checkConfig};
}

}  // namespace passerelle::cli
