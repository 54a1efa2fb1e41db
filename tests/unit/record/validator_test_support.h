#pragma once
// A complete, valid, entirely synthetic record for the validator tests.

#include "record/record_validator.h"
#include "record/trainee_record.h"

#include <string>
#include <vector>

namespace passerelle::record::testing {

inline TraineeRecord validRecord() {
    TraineeRecord r;
    r.set(Field::local_student_id, "21904567");
    r.set(Field::ine, "123456789AB");
    r.set(Field::france_travail_id, "1234567A");
    r.set(Field::birth_name, "Dupont-Écrivain");
    r.set(Field::usage_name, "Martin");
    r.set(Field::first_names, "Zoé Anaïs");
    r.set(Field::birth_date, "1999-03-14");
    r.set(Field::email, "zoe.dupont@example.org");
    r.set(Field::mobile_phone, "+33612345678");
    r.set(Field::postal_address, "12 rue des Essais");
    r.set(Field::postal_code, "34000");
    r.set(Field::commune_insee, "34172");
    r.set(Field::institution_uai, "0342321N");
    r.set(Field::programme, "DAEU");
    r.set(Field::course_title, "DAEU A littéraire");
    r.set(Field::rncp_code, "RNCP12345");
    r.set(Field::rs_code, "RS5678");
    r.set(Field::formacode, "15041");
    r.set(Field::entry_date, "2023-09-01");
    r.set(Field::exit_date, "2024-06-30");
    r.set(Field::exit_reason, "fin de formation");
    r.set(Field::certification_result, "OBTAINED");
    r.set(Field::survey_date, "2025-01-15");
    r.set(Field::insertion_status, "EMPLOYED_PERMANENT");
    r.set(Field::durable_employment, "true");
    return r;
}

inline const RecordValidator& defaultValidator() {
    static const RecordValidator validator(RecordValidator::defaultRequired());
    return validator;
}

// The reasons reported for one field, in order.
inline std::vector<std::string> reasonsFor(const std::vector<FieldProblem>& problems, Field f) {
    std::vector<std::string> out;
    for (const FieldProblem& p : problems) {
        if (p.field == f) out.push_back(p.reason);
    }
    return out;
}

// Sets one field on an otherwise valid record, normalises, returns the problems for that field.
inline std::vector<std::string> check(Field f, std::string_view value, std::string* normalised = nullptr) {
    TraineeRecord r = validRecord();
    r.set(f, value);
    const auto problems = defaultValidator().normalise(r);
    if (normalised) *normalised = r.get(f);
    return reasonsFor(problems, f);
}

// Normalised form of a value that must be valid; fails the test otherwise.
inline std::string normalisedOk(Field f, std::string_view value) {
    std::string out;
    const auto reasons = check(f, value, &out);
    EXPECT_TRUE(reasons.empty()) << nameOf(f) << " refused: " << (reasons.empty() ? "" : reasons.front());
    return out;
}

inline bool refused(Field f, std::string_view value) { return !check(f, value).empty(); }

}  // namespace passerelle::record::testing
