#pragma once
// Every error code the gateway's HTTP listeners answer with, its status and
// what it means: the one table the handlers, the metrics and docs/openapi.json
// (docs/openapi-admin.json for the admin listener) agree on. A peer's code
// branches on these codes, so they are never renamed (tests/unit/vocabulary
// checks the table against the OpenAPI files).

#include <Poco/Net/HTTPResponse.h>

#include <array>
#include <cstddef>
#include <string_view>

namespace passerelle::transport {

using HttpStatus = Poco::Net::HTTPResponse::HTTPStatus;

enum class WireError {
    // the listener, before any handler (both APIs)
    NoClientCertificate,
    NotFound,
    MethodNotAllowed,
    LengthRequired,
    RequestTooLarge,
    RateLimited,
    InternalError,
    BadRequest,
    AmbiguousLength,
    TransferEncodingNotSupported,
    ForbiddenHost,
    // POST /v1/batches
    InvalidBatch,
    UnknownParty,
    CertificateNotPinned,
    SenderMismatch,
    WrongRecipient,
    PurposeNotAllowed,
    FieldsNotAllowed,
    BatchTooLarge,
    BatchIdConflict,
    StorageUnavailable,
    // POST /v1/extractions
    InvalidRequest,
    InvalidFilter,
    BadSignature,
    RequesterMismatch,
    WrongInstitution,
    RequestExpired,
    ReplayedRequest,
    UnsupportedMediaType,
    NoJob,
    AmbiguousJob,
    JobMisconfigured,
    ExtractionFailed,
    SourceUnavailable,
    // GET /v1/directory
    NoDirectory,
};

struct WireErrorSpec {
    WireError error;
    std::string_view code;  // the JSON body's "error"
    HttpStatus status;
    std::string_view meaning;
};

inline constexpr std::array kWireErrors{
    WireErrorSpec{WireError::NoClientCertificate, "no_client_certificate", HttpStatus::HTTP_UNAUTHORIZED,
                  "no client certificate from the exchange CA"},
    WireErrorSpec{WireError::NotFound, "not_found", HttpStatus::HTTP_NOT_FOUND, "no such path"},
    WireErrorSpec{WireError::MethodNotAllowed, "method_not_allowed", HttpStatus::HTTP_METHOD_NOT_ALLOWED,
                  "the path is served, not with this method (Allow says which)"},
    WireErrorSpec{WireError::LengthRequired, "length_required", HttpStatus::HTTP_LENGTH_REQUIRED,
                  "a body without a Content-Length"},
    WireErrorSpec{WireError::RequestTooLarge, "request_too_large", HttpStatus::HTTP_REQUEST_ENTITY_TOO_LARGE,
                  "a body over the route's limit, or one where none is taken"},
    WireErrorSpec{WireError::RateLimited, "rate_limited", HttpStatus::HTTP_TOO_MANY_REQUESTS,
                  "the peer is over its request rate (Retry-After says when to retry)"},
    WireErrorSpec{WireError::InternalError, "internal_error", HttpStatus::HTTP_INTERNAL_SERVER_ERROR,
                  "the gateway failed; its log says why"},
    WireErrorSpec{WireError::BadRequest, "bad_request", HttpStatus::HTTP_BAD_REQUEST, "not valid HTTP/1.1"},
    WireErrorSpec{WireError::AmbiguousLength, "ambiguous_length", HttpStatus::HTTP_BAD_REQUEST,
                  "both Content-Length and Transfer-Encoding"},
    WireErrorSpec{WireError::TransferEncodingNotSupported, "transfer_encoding_not_supported",
                  HttpStatus::HTTP_NOT_IMPLEMENTED, "a body framed by Transfer-Encoding"},
    WireErrorSpec{WireError::ForbiddenHost, "forbidden_host", HttpStatus::HTTP_FORBIDDEN,
                  "the admin listener addressed by another name than loopback"},
    WireErrorSpec{WireError::InvalidBatch, "invalid_batch", HttpStatus::HTTP_BAD_REQUEST,
                  "the envelope is not a valid batch"},
    WireErrorSpec{WireError::UnknownParty, "unknown_party", HttpStatus::HTTP_FORBIDDEN,
                  "the certificate names no configured peer"},
    WireErrorSpec{WireError::CertificateNotPinned, "certificate_not_pinned", HttpStatus::HTTP_FORBIDDEN,
                  "the certificate is not the one pinned for the peer"},
    WireErrorSpec{WireError::SenderMismatch, "sender_mismatch", HttpStatus::HTTP_FORBIDDEN,
                  "the manifest's sender is not the certificate's party"},
    WireErrorSpec{WireError::WrongRecipient, "wrong_recipient", HttpStatus::HTTP_FORBIDDEN,
                  "the batch is for another party"},
    WireErrorSpec{WireError::PurposeNotAllowed, "purpose_not_allowed", HttpStatus::HTTP_FORBIDDEN,
                  "the purpose is not configured for this peer"},
    WireErrorSpec{WireError::FieldsNotAllowed, "fields_not_allowed", HttpStatus::HTTP_FORBIDDEN,
                  "the batch carries fields its purpose does not allow"},
    WireErrorSpec{WireError::BatchTooLarge, "batch_too_large", HttpStatus::HTTP_REQUEST_ENTITY_TOO_LARGE,
                  "a batch over max_batch_bytes"},
    WireErrorSpec{WireError::BatchIdConflict, "batch_id_conflict", HttpStatus::HTTP_CONFLICT,
                  "this batch id was received before with other content"},
    WireErrorSpec{WireError::StorageUnavailable, "storage_unavailable", HttpStatus::HTTP_INSUFFICIENT_STORAGE,
                  "the batch cannot be stored or recorded now; the sender retries"},
    WireErrorSpec{WireError::InvalidRequest, "invalid_request", HttpStatus::HTTP_BAD_REQUEST,
                  "not a valid extraction request"},
    WireErrorSpec{WireError::InvalidFilter, "invalid_filter", HttpStatus::HTTP_BAD_REQUEST,
                  "the exit dates are not a valid window"},
    WireErrorSpec{WireError::BadSignature, "bad_signature", HttpStatus::HTTP_FORBIDDEN,
                  "the request is not signed by the requester's key"},
    WireErrorSpec{WireError::RequesterMismatch, "requester_mismatch", HttpStatus::HTTP_FORBIDDEN,
                  "the requester is not the certificate's party"},
    WireErrorSpec{WireError::WrongInstitution, "wrong_institution", HttpStatus::HTTP_FORBIDDEN,
                  "the request is for another institution"},
    WireErrorSpec{WireError::RequestExpired, "request_expired", HttpStatus::HTTP_FORBIDDEN,
                  "the request is older than its window"},
    WireErrorSpec{WireError::ReplayedRequest, "replayed_request", HttpStatus::HTTP_CONFLICT,
                  "this request id or nonce was received before"},
    WireErrorSpec{WireError::UnsupportedMediaType, "unsupported_media_type",
                  HttpStatus::HTTP_UNSUPPORTED_MEDIA_TYPE, "the body is not application/json"},
    WireErrorSpec{WireError::NoJob, "no_job", HttpStatus::HTTP_UNPROCESSABLE_ENTITY,
                  "no job serves this purpose for the requester"},
    WireErrorSpec{WireError::AmbiguousJob, "ambiguous_job", HttpStatus::HTTP_UNPROCESSABLE_ENTITY,
                  "several jobs serve this purpose for the requester"},
    WireErrorSpec{WireError::JobMisconfigured, "job_misconfigured", HttpStatus::HTTP_INTERNAL_SERVER_ERROR,
                  "the job serving the request is misconfigured"},
    WireErrorSpec{WireError::ExtractionFailed, "extraction_failed", HttpStatus::HTTP_INTERNAL_SERVER_ERROR,
                  "the job failed"},
    WireErrorSpec{WireError::SourceUnavailable, "source_unavailable", HttpStatus::HTTP_SERVICE_UNAVAILABLE,
                  "the job's source cannot be read now"},
    WireErrorSpec{WireError::NoDirectory, "no_directory", HttpStatus::HTTP_SERVICE_UNAVAILABLE,
                  "the Region has published no directory yet"},
};

// The table is in the enumeration's order, one row each, so a code is found by index.
constexpr bool rowsInEnumOrder() {
    for (std::size_t i = 0; i < kWireErrors.size(); ++i) {
        if (static_cast<std::size_t>(kWireErrors[i].error) != i) return false;
    }
    return kWireErrors.size() == static_cast<std::size_t>(WireError::NoDirectory) + 1;
}
static_assert(rowsInEnumOrder(), "kWireErrors must list every WireError once, in declaration order");

constexpr const WireErrorSpec& specOf(WireError error) {
    return kWireErrors[static_cast<std::size_t>(error)];
}
constexpr std::string_view codeOf(WireError error) { return specOf(error).code; }
constexpr HttpStatus statusOf(WireError error) { return specOf(error).status; }

}  // namespace passerelle::transport
