#include "federation/revocation_reason.h"

#include "federation/ca_folder.h"

namespace passerelle::federation {

std::string_view toText(RevocationReason reason) {
    for (const auto& row : kRevocationReasons) {
        if (row.reason == reason) return row.text;
    }
    return {};
}

int crlReasonCode(RevocationReason reason) {
    for (const auto& row : kRevocationReasons) {
        if (row.reason == reason) return row.code;
    }
    return 0;
}

std::optional<RevocationReason> revocationReasonNamed(std::string_view text) {
    for (const auto& row : kRevocationReasons) {
        if (row.text == text) return row.reason;
    }
    return std::nullopt;
}

RevocationReason parseRevocationReason(std::string_view text) {
    if (const auto known = revocationReasonNamed(text)) return *known;
    std::string names;
    for (const auto& row : kRevocationReasons) names += (names.empty() ? "" : ", ") + std::string(row.text);
    constexpr std::size_t kQuoted = 40;
    throw CaError("'" + std::string(text.substr(0, kQuoted)) +
                  "' is not a revocation reason; one of: " + names + " (RFC 5280)");
}

}  // namespace passerelle::federation
