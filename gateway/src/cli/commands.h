#pragma once
// The passerelle commands. Each returns the process exit code; errors that a
// user can act on are thrown as passerelle::Error and printed by main.

#include "cli/command_line.h"

#include <functional>
#include <string>
#include <vector>

namespace passerelle::cli {

struct Command {
    CommandSpec spec;
    std::function<int(const ParsedOptions&)> run;
};

Command runCommand();
Command transferCommand();
Command auditVerifyCommand();
Command auditListCommand();
Command auditShowCommand();
Command auditExportCommand();
Command auditSubjectCommand();
Command keysInitCommand();
Command keysExportPublicCommand();
Command keysRotateCommand();
Command keysShowCommand();
Command checkConfigCommand();
Command objectionsAddCommand();
Command objectionsRemoveCommand();
Command objectionsListCommand();
Command subjectCommand();
Command purposesCommand();
Command auditRegisterCommand();
Command consoleCommand();
Command purgeCommand();
Command extractCommand();
Command statusCommand();
Command outboxRequeueCommand();
Command previewCommand();
Command migrateStoreCommand();
Command caInitCommand();
Command caIssueCommand();
Command caRevokeCommand();
Command caCrlCommand();
Command caListCommand();
Command enrolCommand();
Command peersAddCommand();
Command directoryPublishCommand();
Command directoryFetchCommand();
Command directoryShowCommand();

// Exit codes, documented in --help.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;    // the operation ran and did not succeed
inline constexpr int kExitUsage = 2;     // wrong command line
inline constexpr int kExitConfig = 3;    // configuration, keys or plugins are wrong

}  // namespace passerelle::cli
