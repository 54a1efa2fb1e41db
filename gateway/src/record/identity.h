#pragma once
// The text a trainee's pseudonym is computed over.

#include <string>
#include <string_view>

#include "common/errors.h"
#include "record/trainee_record.h"

namespace passerelle::record {

// A record carries nothing that identifies the trainee; it cannot be pseudonymised.
class IdentityError : public Error {
public:
    using Error::Error;
};

// Identity v2 (docs/privacy.md, "Pseudonyms"), the first that applies:
//   "v2|<birth_name>|<first given name>|<birth_date>", names through normaliseName,
//       the first given name being normalised first_names up to its first space or comma;
//   "v2|ine|<ine>";
//   "v2|local|<uai>|<local_student_id>".
// Throws IdentityError when none applies, or when the last one does and the UAI is
// empty. Expects a record that went through RecordValidator::normalise (ISO dates).
// Pure ASCII names never reach ICU.
std::string identityKey(const TraineeRecord& record, std::string_view institutionUai);

// The same, written into `key` so a caller looping over rows reuses one buffer.
void identityKey(const TraineeRecord& record, std::string_view institutionUai, std::string& key);

}  // namespace passerelle::record
