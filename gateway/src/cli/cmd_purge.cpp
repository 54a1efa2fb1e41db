// passerelle purge: delete what has outlived its retention (docs/ledger.md).

#include "audit/retention.h"
#include "cli/commands.h"
#include "party/gateway.h"

#include <iostream>

namespace passerelle::cli {

Command purgeCommand() {
    CommandSpec spec;
    spec.name = "purge";
    spec.summary = "delete payloads and ledger entry bytes past their retention (the daemon does it daily)";
    spec.usage = "passerelle purge --config FILE [--dry-run]";
    spec.options = {configOption(), {"dry-run", false, "list what would be deleted, delete nothing", ""}};
    spec.details =
        "Payloads are kept for their purpose's retention_days: on an institution from the receipt\n"
        "(never before), on the Region from the hand-off to the sink (never before). The ledger's\n"
        "entry bytes are kept for [ledger] retention_days (0: forever); their hashes always stay,\n"
        "so checkpoints and proofs remain valid. Each deletion is a ledger entry.";
    return {spec, [](const ParsedOptions& options) {
                auto gateway = exchange::Gateway::open(options.value("config"));
                const bool dryRun = options.has("dry-run");
                const auto report =
                    exchange::purgeExpired(*gateway, "operator", std::chrono::system_clock::now(), dryRun);
                for (const auto& b : report.batches) {
                    std::cout << (dryRun ? "would delete" : "deleted") << " payload of batch " << b.batchId
                              << " (purpose " << b.purpose << ", kept since " << b.since << ")\n";
                }
                for (const auto& why : report.skipped) std::cout << "left alone: " << why << "\n";
                std::cout << (dryRun ? "purge (dry run): " : "purge: ") << report.batches.size()
                          << " payload(s), " << report.ledgerEntriesBlanked << " ledger entr"
                          << (report.ledgerEntriesBlanked == 1 ? "y" : "ies") << " blanked\n";
                return kExitOk;
            }};
}

}  // namespace passerelle::cli
