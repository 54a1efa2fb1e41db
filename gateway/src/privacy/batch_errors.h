#pragma once
// What exactly is wrong with a sealed batch, so callers can react (reject, alert,
// ask for a resend) without parsing messages. Messages never carry record
// contents or key material.

#include <string>

#include "common/errors.h"

namespace passerelle::privacy {

enum class BatchProblem {
    Malformed,           // not a v1 batch / manifest / envelope, or a record does not fit its fields
    BadSignature,        // manifest not signed by the sender's key (altered or signed by another key)
    UnsupportedVersion,  // format_version this gateway does not read
    WrongRecipient,      // sealed for another key, or the batch key cannot be opened
    DigestMismatch,      // payload.bin is not the one the manifest describes
    Truncated,           // the stream ends before its FINAL chunk
    Corrupt,             // a chunk fails authentication (altered, reordered, oversized)
    Extended,            // bytes after the FINAL chunk
    CountMismatch,       // number of records differs from the manifest
};

const char* toString(BatchProblem problem);

class BatchFormatError : public passerelle::BatchError {
public:
    BatchFormatError(BatchProblem problem, const std::string& message)
        : passerelle::BatchError(message), problem_(problem) {}
    BatchProblem problem() const { return problem_; }

private:
    BatchProblem problem_;
};

}  // namespace passerelle::privacy
