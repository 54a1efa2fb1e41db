// passerelle: the gateway that carries trainee records from institutions to
// the Region under the GDPR. This file only dispatches to the commands.

#include "cli/commands.h"
#include "cli/logging.h"
#include "common/errors.h"

#include <Poco/Exception.h>

#include <cstdlib>
#include <iostream>

namespace {

using passerelle::cli::Command;

std::vector<Command> commands() {
    using namespace passerelle::cli;
    return {runCommand(),         transferCommand(),        auditVerifyCommand(),    auditListCommand(),
            auditShowCommand(),   auditExportCommand(),     auditSubjectCommand(),   auditRegisterCommand(),
            keysInitCommand(),    keysRotateCommand(),      keysShowCommand(),       keysExportPublicCommand(),
            checkConfigCommand(), objectionsAddCommand(),   objectionsRemoveCommand(), objectionsListCommand(),
            subjectCommand(),     purposesCommand(),        consoleCommand(),        purgeCommand(),
            extractCommand(),     statusCommand(),          outboxRequeueCommand(),  previewCommand(),
            migrateStoreCommand(),  caInitCommand(),          caIssueCommand(),        caRevokeCommand(),
            caCrlCommand(),         caListCommand(),          enrolCommand(),          peersAddCommand(),
            directoryPublishCommand(), directoryFetchCommand(), directoryShowCommand()};
}

void printOverview(std::ostream& out) {
    out << "passerelle " PASSERELLE_VERSION
           " - the GDPR exchange gateway between institutions and the Region\n\n"
           "Usage: passerelle COMMAND [OPTIONS]    (passerelle COMMAND --help for details)\n\nCommands:\n";
    for (const Command& c : commands()) {
        std::string name = "  " + c.spec.name;
        name.resize(24, ' ');
        out << name << c.spec.summary << "\n";
    }
    out << "\nGlobal options (before the command): --log-level LEVEL (error, warning, information, debug)\n"
           "Exit codes: 0 success, 1 operation failed, 2 wrong usage, 3 configuration/keys/plugins wrong.\n"
           "Documentation: README.md and docs/ in the source tree.\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string logLevel = "information";
    while (!args.empty() && args.front() == "--log-level" && args.size() >= 2) {
        logLevel = args[1];
        args.erase(args.begin(), args.begin() + 2);
    }
    if (args.empty() || args.front() == "--help" || args.front() == "-h" || args.front() == "help") {
        printOverview(std::cout);
        return args.empty() ? passerelle::cli::kExitUsage : passerelle::cli::kExitOk;
    }
    if (args.front() == "--version" || args.front() == "version") {
        std::cout << "passerelle " PASSERELLE_VERSION "\n";
        return 0;
    }
    try {
        passerelle::cli::setUpLogging(logLevel);
    } catch (const Poco::Exception&) {
        std::cerr << "passerelle: unknown log level '" << logLevel << "'\n";
        return passerelle::cli::kExitUsage;
    }

    for (const Command& command : commands()) {
        // A command is one or two words ("transfer", "audit verify").
        const auto words = std::count(command.spec.name.begin(), command.spec.name.end(), ' ') + 1;
        if (args.size() < static_cast<std::size_t>(words)) continue;
        std::string name = args[0];
        if (words == 2) name += " " + args[1];
        if (name != command.spec.name) continue;
        const std::vector<std::string> rest(args.begin() + words, args.end());
        try {
            const auto options = passerelle::cli::parseOptions(command.spec, rest);
            if (options.has("help")) {
                std::cout << passerelle::cli::helpText(command.spec);
                return 0;
            }
            return command.run(options);
        } catch (const passerelle::cli::UsageError& e) {
            std::cerr << "passerelle " << command.spec.name << ": " << e.what() << "\n\n"
                      << passerelle::cli::helpText(command.spec);
            return passerelle::cli::kExitUsage;
        } catch (const passerelle::ConfigError& e) {
            std::cerr << "passerelle " << command.spec.name << ": configuration error: " << e.what() << "\n";
            return passerelle::cli::kExitConfig;
        } catch (const passerelle::KeyError& e) {
            std::cerr << "passerelle " << command.spec.name << ": key error: " << e.what() << "\n";
            return passerelle::cli::kExitConfig;
        } catch (const passerelle::PluginError& e) {
            std::cerr << "passerelle " << command.spec.name << ": plugin error: " << e.what() << "\n";
            return passerelle::cli::kExitConfig;
        } catch (const passerelle::Error& e) {
            std::cerr << "passerelle " << command.spec.name << ": " << e.what() << "\n";
            return passerelle::cli::kExitFailed;
        } catch (const Poco::Exception& e) {
            std::cerr << "passerelle " << command.spec.name << ": " << e.displayText() << "\n";
            return passerelle::cli::kExitFailed;
        } catch (const std::exception& e) {
            std::cerr << "passerelle " << command.spec.name << ": " << e.what() << "\n";
            return passerelle::cli::kExitFailed;
        }
    }
    std::cerr << "passerelle: unknown command '" << args.front() << "'\n\n";
    printOverview(std::cerr);
    return passerelle::cli::kExitUsage;
}
