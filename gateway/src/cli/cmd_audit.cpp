// passerelle audit verify: prove, offline, that the gateway's records are intact.

#include "cli/commands.h"
#include "exchange/audit.h"
#include "exchange/gateway.h"

#include <iostream>

namespace passerelle::cli {

Command auditVerifyCommand() {
    CommandSpec spec;
    spec.name = "audit verify";
    spec.summary = "check the ledger chain, every stored batch and every receipt; exit 1 on the first mismatch";
    spec.usage = "passerelle audit verify --config FILE";
    spec.options = {configOption()};
    spec.details =
        "Recomputes the ledger's hash chain from the stored entries, checks each stored batch's\n"
        "signed manifest and payload digest, and the counterpart's signature on each receipt.\n"
        "Reads only; needs no network. Exit 0 when everything is intact, 1 otherwise.";
    return {spec, [](const ParsedOptions& options) {
                auto gateway = exchange::Gateway::open(options.value("config"));
                const auto report = exchange::auditGateway(*gateway);
                std::cout << "ledger: " << report.ledgerEntries << " entries, head " << report.ledgerHead << "\n"
                          << "stored batches checked: " << report.batchesChecked
                          << ", receipts checked: " << report.receiptsChecked << "\n";
                if (report.intact()) {
                    std::cout << "audit verify: intact\n";
                    return kExitOk;
                }
                std::cout << "audit verify: NOT intact\n";
                for (const auto& f : report.findings) {
                    std::cout << "  " << f.what << ": " << f.problem << "\n";
                }
                return kExitFailed;
            }};
}

}  // namespace passerelle::cli
