#include "record/identity.h"

namespace passerelle::record {

// Why these inputs: an institution's own student number never changes for a
// trainee and is present in every export format of that institution (Apogée,
// Pégase, spreadsheets), so the same person gets the same pseudonym from run to
// run; prefixing the UAI keeps two institutions' numbering apart. The INE is the
// fallback, being national it needs no institution. Names and birth dates are
// left out on purpose: they are spelt differently from one export to the next.
// The "v1" tag lets a richer normalisation (merging a student number and an INE
// seen for the same person) come later without silently changing old pseudonyms.
void identityKey(const TraineeRecord& record, std::string_view institutionUai, std::string& key) {
    if (record.has(Field::local_student_id)) {
        if (institutionUai.empty()) {
            throw IdentityError("cannot derive a trainee identity: the institution UAI is empty; "
                                "set it in the institution's configuration");
        }
        key.assign("v1|").append(institutionUai).append("|").append(record.get(Field::local_student_id));
        return;
    }
    if (record.has(Field::ine)) {
        key.assign("v1|ine|").append(record.get(Field::ine));
        return;
    }
    throw IdentityError("cannot derive a trainee identity for source line " + std::to_string(record.sourceLine) +
                        ": the record has neither local_student_id nor ine; map one of them");
}

std::string identityKey(const TraineeRecord& record, std::string_view institutionUai) {
    std::string key;
    identityKey(record, institutionUai, key);
    return key;
}

}  // namespace passerelle::record
