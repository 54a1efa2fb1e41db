#pragma once
// Why a certificate is revoked: the RFC 5280 (5.3.1) reasons an operator may give.

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace passerelle::federation {

enum class RevocationReason {
    Unspecified,
    KeyCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation
};

struct RevocationReasonText {
    RevocationReason reason;
    std::string_view text;  // as RFC 5280 names it, and as `ca revoke --reason` takes it
    int code;               // the CRLReason value in a CRL entry
};

inline constexpr std::array kRevocationReasons{
    RevocationReasonText{RevocationReason::Unspecified, "unspecified", 0},
    RevocationReasonText{RevocationReason::KeyCompromise, "keyCompromise", 1},
    RevocationReasonText{RevocationReason::AffiliationChanged, "affiliationChanged", 3},
    RevocationReasonText{RevocationReason::Superseded, "superseded", 4},
    RevocationReasonText{RevocationReason::CessationOfOperation, "cessationOfOperation", 5},
};

std::string_view toText(RevocationReason reason);
int crlReasonCode(RevocationReason reason);
std::optional<RevocationReason> revocationReasonNamed(std::string_view text);
// The reason `text` names, or CaError quoting it and listing the known ones.
RevocationReason parseRevocationReason(std::string_view text);

}  // namespace passerelle::federation
