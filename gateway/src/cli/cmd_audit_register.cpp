// passerelle audit register: the record of processing activities (GDPR art. 30),
// built from the configuration, for the DPO.

#include "cli/commands.h"
#include "common/clock.h"
#include "common/errors.h"
#include "config/gateway_config.h"
#include "config/processing_register.h"

#include <filesystem>
#include <fstream>
#include <iostream>

namespace passerelle::cli {

namespace {

int auditRegister(const ParsedOptions& options) {
    const std::string formatName = options.value("format");
    const auto format = config::registerFormatFromName(formatName);
    if (!format) {
        throw UsageError("--format must be md, csv or json (not '" + formatName + "')");
    }
    const auto config = config::GatewayConfig::load(options.value("config"));
    const std::string text = config::renderRegister(config, *format, formatUtc(SystemClock().now()));
    const auto output = options.optional("output");
    if (!output) {
        std::cout << text;
        return kExitOk;
    }
    // Written beside the target and renamed, so a reader never sees half a register.
    const std::filesystem::path target = *output;
    const std::filesystem::path temporary = target.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out.flush()) {
            throw Error("cannot write " + temporary.string());
        }
    }
    std::error_code ec;
    std::filesystem::rename(temporary, target, ec);
    if (ec) {
        throw Error("cannot write " + target.string() + ": " + ec.message());
    }
    std::cerr << "audit register: " << config.purposes.size() << " purpose(s) written to " << target.string()
              << "\n";
    return kExitOk;
}

}  // namespace

Command auditRegisterCommand() {
    CommandSpec spec;
    spec.name = "audit register";
    spec.summary = "export the record of processing activities (GDPR art. 30) built from the configuration";
    spec.usage = "passerelle audit register --config FILE --format md|csv|json [--output FILE]";
    spec.options = {configOption(),
                    {"format", true, "md (for the DPO, French headings), csv or json", "md|csv|json"},
                    {"output", true, "write to FILE instead of standard output", "FILE"}};
    spec.details =
        "The controller is this party. For each purpose: description, legal basis, controller and\n"
        "DPO contacts, data subjects, fields with their class, recipients, the peers that send or\n"
        "receive it, retention, pseudonym domain and security measures. CSV has one row per\n"
        "purpose and field (the purpose's columns repeated). Reads only the configuration.";
    return {spec, auditRegister};
}

}  // namespace passerelle::cli
