#pragma once
// The ledger's vocabulary: every operation and outcome an entry may name, each
// with the exact text stored in the entry's bytes (docs/ledger.md lists them).
//
// An entry keeps the text it was written with (LedgerEntry::operation and
// ::outcome stay strings): its bytes are hashed into the tree, so reading must
// give back exactly what was stored, whichever version wrote it. These types
// are how the gateway writes and compares that text; a text missing from the
// tables (an entry of a newer gateway sharing the database) is still read,
// listed and verified, it is only not one of ours.

#include <array>
#include <optional>
#include <string_view>

namespace passerelle::ledger {

enum class Operation {
    // sending side
    BatchSealed,
    RecordsQuarantined,
    RecordsWithheld,
    ObjectionsRekeyed,
    BatchDiscarded,
    BatchReceipted,
    DeliveryFailed,
    BatchDeadLettered,
    BatchRequeued,
    ExtractionRequested,
    // receiving side
    BatchReceived,
    BatchRefused,
    BatchHandedToSink,
    SinkFailed,
    // operators and the DPO
    ObjectionAdded,
    ObjectionRemoved,
    SubjectLookup,
    KeysRotated,
    PseudonymKeyRotated,
    // the gateway's own housekeeping
    PayloadPurged,
    LedgerPurged,
    LedgerMigrated,
    // the federation CA (docs/federation.md)
    CertificateIssued,
    CertificateRevoked,
    // the federation's directory (docs/federation.md)
    DirectoryPublished,
    DirectoryAdopted,
    // enrolment (docs/federation.md)
    PeerEnrolled,
    // Written by earlier versions only (refused TLS handshakes, now a metric):
    // old ledgers still hold such entries.
    ConnectionRefused,
};

enum class Outcome {
    Queued,
    Quarantined,
    Withheld,
    Recorded,
    Removed,
    Discarded,
    Receipted,
    Failed,
    DeadLetter,
    Sent,
    Served,
    Denied,
    Refused,
    Stored,
    Delivered,
    Retrying,
    NotFound,
    Answered,
    Rotated,
    Deleted,
    Blanked,
    Migrated,
    Issued,
    Revoked,
    Published,
    Adopted,
};

struct OperationText {
    Operation operation;
    std::string_view text;
};

struct OutcomeText {
    Outcome outcome;
    std::string_view text;
};

// The one table of stored texts. Changing a text would make old entries
// unknown to every filter and check that names them: add, never rename.
inline constexpr std::array kOperations{
    OperationText{Operation::BatchSealed, "batch-sealed"},
    OperationText{Operation::RecordsQuarantined, "records-quarantined"},
    OperationText{Operation::RecordsWithheld, "records-withheld"},
    OperationText{Operation::ObjectionsRekeyed, "objections-rekeyed"},
    OperationText{Operation::BatchDiscarded, "batch-discarded"},
    OperationText{Operation::BatchReceipted, "batch-receipted"},
    OperationText{Operation::DeliveryFailed, "delivery-failed"},
    OperationText{Operation::BatchDeadLettered, "batch-dead-lettered"},
    OperationText{Operation::BatchRequeued, "batch-requeued"},
    OperationText{Operation::ExtractionRequested, "extraction-requested"},
    OperationText{Operation::BatchReceived, "batch-received"},
    OperationText{Operation::BatchRefused, "batch-refused"},
    OperationText{Operation::BatchHandedToSink, "batch-handed-to-sink"},
    OperationText{Operation::SinkFailed, "sink-failed"},
    OperationText{Operation::ObjectionAdded, "objection-added"},
    OperationText{Operation::ObjectionRemoved, "objection-removed"},
    OperationText{Operation::SubjectLookup, "subject-lookup"},
    OperationText{Operation::KeysRotated, "keys-rotated"},
    OperationText{Operation::PseudonymKeyRotated, "pseudonym-key-rotated"},
    OperationText{Operation::PayloadPurged, "payload-purged"},
    OperationText{Operation::LedgerPurged, "ledger-purged"},
    OperationText{Operation::LedgerMigrated, "ledger-migrated"},
    OperationText{Operation::CertificateIssued, "certificate-issued"},
    OperationText{Operation::CertificateRevoked, "certificate-revoked"},
    OperationText{Operation::DirectoryPublished, "directory-published"},
    OperationText{Operation::DirectoryAdopted, "directory-adopted"},
    OperationText{Operation::PeerEnrolled, "peer-enrolled"},
    OperationText{Operation::ConnectionRefused, "connection-refused"},
};

inline constexpr std::array kOutcomes{
    OutcomeText{Outcome::Queued, "queued"},          OutcomeText{Outcome::Quarantined, "quarantined"},
    OutcomeText{Outcome::Withheld, "withheld"},      OutcomeText{Outcome::Recorded, "recorded"},
    OutcomeText{Outcome::Removed, "removed"},        OutcomeText{Outcome::Discarded, "discarded"},
    OutcomeText{Outcome::Receipted, "receipted"},    OutcomeText{Outcome::Failed, "failed"},
    OutcomeText{Outcome::DeadLetter, "dead-letter"}, OutcomeText{Outcome::Sent, "sent"},
    OutcomeText{Outcome::Served, "served"},          OutcomeText{Outcome::Denied, "denied"},
    OutcomeText{Outcome::Refused, "refused"},        OutcomeText{Outcome::Stored, "stored"},
    OutcomeText{Outcome::Delivered, "delivered"},    OutcomeText{Outcome::Retrying, "retrying"},
    OutcomeText{Outcome::NotFound, "not-found"},     OutcomeText{Outcome::Answered, "answered"},
    OutcomeText{Outcome::Rotated, "rotated"},        OutcomeText{Outcome::Deleted, "deleted"},
    OutcomeText{Outcome::Blanked, "blanked"},        OutcomeText{Outcome::Migrated, "migrated"},
    OutcomeText{Outcome::Issued, "issued"},          OutcomeText{Outcome::Revoked, "revoked"},
    OutcomeText{Outcome::Published, "published"},    OutcomeText{Outcome::Adopted, "adopted"},
};

// What reading shows as the operation of an entry whose bytes retention
// blanked. Never stored: the bytes that named the operation are gone.
inline constexpr std::string_view kBlankedEntryOperation = "(purged)";

// The exact stored text.
constexpr std::string_view toText(Operation operation) {
    for (const auto& row : kOperations) {
        if (row.operation == operation) return row.text;
    }
    return {};  // unreachable: the table names every enumerator (tests/unit/vocabulary)
}

constexpr std::string_view toText(Outcome outcome) {
    for (const auto& row : kOutcomes) {
        if (row.outcome == outcome) return row.text;
    }
    return {};
}

// The operation a stored text names; nullopt for a text not in the table.
std::optional<Operation> operationNamed(std::string_view text);
std::optional<Outcome> outcomeNamed(std::string_view text);

// For text an operator typed (a filter): the operation it names, or a
// LedgerError that quotes it and lists the known ones.
Operation parseOperation(std::string_view text);

}  // namespace passerelle::ledger
