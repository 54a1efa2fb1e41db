#pragma once
// A trainee's rights, answered by the institution that holds their record and
// nowhere else: the trainee is re-identified from the institution's own export
// and its own pseudonym key, then found by pseudonym only (docs/privacy.md).
//
// - traineePseudonyms: the trainee's pseudonyms in one purpose's domain (objections,
//   GDPR art. 21, are stored as the current one);
// - lookUpSubject: the access request (GDPR art. 15): the trainee's pseudonyms in
//   every domain, and every outbox batch that carried them.
//
// "Pseudonyms", plural: one per pseudonym key epoch still held (the current key and
// the retired ones kept by `keys rotate --pseudonym`), as batches and objections made
// before a rotation carry the older ones.

#include "common/errors.h"
#include "party/gateway.h"
#include "send/source_records.h"

#include <cstdint>
#include <string>
#include <vector>

namespace passerelle::exchange {

// No configured export names the trainee. Its message echoes only what the
// operator typed.
class TraineeNotFound : public Error {
public:
    using Error::Error;
};

// The record's pseudonym in the purpose's pseudonym domain under every held key
// epoch, the current one (the value BatchPreparer computes now) first. Throws
// ConfigError when the purpose has no pseudonym_domain.
std::vector<std::string> pseudonymsFor(const Gateway& gateway, const config::PurposeSettings& purpose,
                                       const record::TraineeRecord& record);

// Reads the job's export and returns pseudonymsFor the trainee's record, in the
// job's purpose's domain. Throws TraineeNotFound.
std::vector<std::string> traineePseudonyms(const Gateway& gateway, const config::JobSettings& job,
                                           const TraineeLookup& lookup);

struct SubjectPseudonym {
    std::string domain;
    std::vector<std::string> purposes;  // the configured purposes using this domain
    std::uint32_t epoch = 0;            // of the pseudonym key that made it
    std::string pseudonym;
    // The jobs whose export record gave it: the identity a pseudonym is computed over
    // depends on the fields a job maps (record/identity.h), so jobs may disagree.
    std::vector<std::string> jobs;
};

struct SubjectBatch {
    std::string batchId;
    std::string purpose;
    std::string recipient;
    std::string createdAt;
    std::string status;  // pending or receipted
    std::string receiptedAt;
};

struct SubjectAccessReport {
    std::vector<std::string> jobsWithTrainee;  // jobs whose export holds a valid record of the trainee
    // One per pseudonym domain, held key epoch (newest first) and distinct identity.
    std::vector<SubjectPseudonym> pseudonyms;
    std::vector<SubjectBatch> batches;         // every outbox batch that carried one of them, oldest first
};

// Searches every job's export, computes the trainee's pseudonyms and finds the
// batches that carried them, then writes `subject-lookup` to the ledger (no
// identifier, no pseudonym). Throws TraineeNotFound when no export names them.
SubjectAccessReport lookUpSubject(Gateway& gateway, const TraineeLookup& lookup, const std::string& actor);

}  // namespace passerelle::exchange
