#include "ledger/operation.h"

#include <string>

#include "common/errors.h"

namespace passerelle::ledger {

std::optional<Operation> operationNamed(std::string_view text) {
    for (const auto& row : kOperations) {
        if (row.text == text) return row.operation;
    }
    return std::nullopt;
}

std::optional<Outcome> outcomeNamed(std::string_view text) {
    for (const auto& row : kOutcomes) {
        if (row.text == text) return row.outcome;
    }
    return std::nullopt;
}

Operation parseOperation(std::string_view text) {
    if (const auto known = operationNamed(text)) return *known;
    std::string names;
    for (const auto& row : kOperations) {
        names += names.empty() ? "" : ", ";
        names += row.text;
    }
    constexpr std::size_t kQuoted = 64;  // enough to recognise a typo, not a paste
    throw LedgerError("'" + std::string(text.substr(0, kQuoted)) + (text.size() > kQuoted ? "…" : "") +
                      "' is not a ledger operation; one of: " + names + " (docs/ledger.md)");
}

}  // namespace passerelle::ledger
