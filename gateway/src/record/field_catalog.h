#pragma once
// The canonical fields of a trainee record (docs/configuration.md, "Trainee record fields") and their sensitivity
// class. The order of the enum is the order of the catalogue and is stable:
// other layers index arrays by it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace passerelle::record {

enum class Field : std::uint8_t {
    local_student_id,
    ine,
    france_travail_id,
    birth_name,
    usage_name,
    first_names,
    birth_date,
    email,
    mobile_phone,
    postal_address,
    postal_code,
    commune_insee,
    institution_uai,
    programme,
    course_title,
    rncp_code,
    rs_code,
    formacode,
    entry_date,
    exit_date,
    exit_reason,
    certification_result,
    survey_date,
    insertion_status,
    durable_employment,
    pseudonym,  // produced by the gateway, never read from a source
};

inline constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::pseudonym) + 1;

inline constexpr std::size_t indexOf(Field f) { return static_cast<std::size_t>(f); }

enum class Sensitivity : char { Identifying = 'I', Contact = 'C', Analytic = 'A', Pseudonymous = 'P' };

struct FieldInfo {
    Field field;
    std::string_view name;  // snake_case, as written in mappings and purposes
    Sensitivity sensitivity;
    std::string_view description;
};

// Indexed by indexOf(field).
const std::array<FieldInfo, kFieldCount>& fieldCatalog();

// Exact snake_case name -> field; nullopt for anything else.
std::optional<Field> fieldFromName(std::string_view name);

std::string_view nameOf(Field f);
Sensitivity sensitivityOf(Field f);

}  // namespace passerelle::record
