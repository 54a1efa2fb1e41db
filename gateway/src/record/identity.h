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

// "v1|<uai>|<local_student_id>" when the record has a local student number,
// else "v1|ine|<ine>". Throws IdentityError when it has neither, or when the
// UAI is empty. Expects a record that went through RecordValidator::normalise.
std::string identityKey(const TraineeRecord& record, std::string_view institutionUai);

// The same, written into `key` so a caller looping over rows reuses one buffer.
void identityKey(const TraineeRecord& record, std::string_view institutionUai, std::string& key);

}  // namespace passerelle::record
