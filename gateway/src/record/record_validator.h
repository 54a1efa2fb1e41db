#pragma once
// Checks one trainee record against the syntax of docs/configuration.md ("Trainee record fields") and rewrites valid
// values into their canonical form (ISO dates, E.164 phones, upper-case codes,
// collapsed names). Runs once per row: it allocates only when it has problems
// to report.

#include <string>
#include <vector>

#include "record/field_catalog.h"
#include "record/nir.h"
#include "record/trainee_record.h"

namespace passerelle::record {

// What is wrong with one field. The reason says what was expected and never
// quotes the value: values are personal data and reasons end up in reports.
struct FieldProblem {
    Field field;
    std::string reason;
};

class RecordValidator {
public:
    explicit RecordValidator(std::vector<Field> required);

    // Trims and normalises every present field in place and returns every problem
    // found (empty when the record is clean). A value that looks like a NIR is
    // wiped from the record before this returns.
    std::vector<FieldProblem> normalise(TraineeRecord& record) const;

    // local_student_id, birth_name, first_names, entry_date, exit_date.
    static std::vector<Field> defaultRequired();

    static constexpr std::size_t kMaxNameBytes = 100;
    static constexpr std::size_t kMaxFreeTextBytes = 500;

private:
    std::vector<Field> required_;
};

}  // namespace passerelle::record
