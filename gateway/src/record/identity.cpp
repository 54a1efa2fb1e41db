#include "record/identity.h"

#include "record/identity_normalisation.h"

namespace passerelle::record {

// Why names and birth date first (v2): the same trainee is exported by Apogée (CSV)
// and by Pégase (REST) under different local numbers, and not every export has the
// INE; the civil identity is what both carry, so it gives the same pseudonym from
// either system. normaliseName absorbs the spelling differences between exports
// (Unicode form, case, spacing, dashes, apostrophes). Homonyms born the same day
// share a pseudonym: a documented limitation (docs/privacy.md, "Pseudonyms").
// The INE, then the UAI-prefixed local number, stand in when the civil identity is
// incomplete. The "v2" tag keeps these apart from v1 pseudonyms and from a later v3.
void identityKey(const TraineeRecord& record, std::string_view institutionUai, std::string& key) {
    const std::string_view birthName = record.get(Field::birth_name);
    const std::string_view firstNames = record.get(Field::first_names);
    const std::string_view birthDate = record.get(Field::birth_date);
    if (!birthName.empty() && !firstNames.empty() && !birthDate.empty()) {
        key.assign("v2|");
        appendNormalisedName(key, birthName);
        const bool hasBirthName = key.size() > 3;
        key.push_back('|');
        const std::size_t firstStart = key.size();
        // The first given name: cut after normalising, so "Jean - Baptiste" stays whole.
        appendNormalisedName(key, firstNames);
        if (const auto cut = key.find_first_of(" ,", firstStart); cut != std::string::npos) {
            key.resize(cut);
        }
        if (hasBirthName && key.size() > firstStart) {
            key.push_back('|');
            key.append(birthDate);
            return;
        }
    }
    if (record.has(Field::ine)) {
        key.assign("v2|ine|").append(record.get(Field::ine));
        return;
    }
    if (record.has(Field::local_student_id)) {
        if (institutionUai.empty()) {
            throw IdentityError(
                "cannot derive a trainee identity: the institution UAI is empty; "
                "set it in the institution's configuration");
        }
        key.assign("v2|local|")
            .append(institutionUai)
            .append("|")
            .append(record.get(Field::local_student_id));
        return;
    }
    throw IdentityError("cannot derive a trainee identity for source line " +
                        std::to_string(record.sourceLine) +
                        ": the record has neither birth_name, first_names and birth_date, nor ine, nor "
                        "local_student_id; map one of them");
}

std::string identityKey(const TraineeRecord& record, std::string_view institutionUai) {
    std::string key;
    identityKey(record, institutionUai, key);
    return key;
}

}  // namespace passerelle::record
