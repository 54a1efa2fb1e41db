#include "privacy/batch_errors.h"

namespace passerelle::privacy {

const char* toString(BatchProblem problem) {
    switch (problem) {
        case BatchProblem::Malformed:
            return "malformed";
        case BatchProblem::BadSignature:
            return "bad-signature";
        case BatchProblem::UnsupportedVersion:
            return "unsupported-version";
        case BatchProblem::WrongRecipient:
            return "wrong-recipient";
        case BatchProblem::DigestMismatch:
            return "digest-mismatch";
        case BatchProblem::Truncated:
            return "truncated";
        case BatchProblem::Corrupt:
            return "corrupt";
        case BatchProblem::Extended:
            return "extended";
        case BatchProblem::CountMismatch:
            return "count-mismatch";
    }
    return "unknown";
}

}  // namespace passerelle::privacy
