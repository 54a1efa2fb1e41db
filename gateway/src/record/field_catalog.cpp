#include "record/field_catalog.h"

namespace passerelle::record {

namespace {

using S = Sensitivity;
using F = Field;

constexpr std::array<FieldInfo, kFieldCount> kCatalog{{
    {F::local_student_id, "local_student_id", S::Identifying,
     "the institution's own student number (Apogee cod_etu, Pegase code_apprenant)"},
    {F::ine, "ine", S::Identifying, "national student identifier (INE), 11 characters"},
    {F::france_travail_id, "france_travail_id", S::Identifying, "France Travail job-seeker identifier"},
    {F::birth_name, "birth_name", S::Identifying, "family name at birth"},
    {F::usage_name, "usage_name", S::Identifying, "family name in use, when different"},
    {F::first_names, "first_names", S::Identifying, "first names, space separated"},
    {F::birth_date, "birth_date", S::Identifying, "date of birth, yyyy-mm-dd"},
    {F::email, "email", S::Contact, "e-mail address"},
    {F::mobile_phone, "mobile_phone", S::Contact, "mobile phone number, E.164"},
    {F::postal_address, "postal_address", S::Contact, "postal address lines"},
    {F::postal_code, "postal_code", S::Contact, "French postal code, 5 digits"},
    {F::commune_insee, "commune_insee", S::Contact, "INSEE commune code, 5 characters"},
    {F::institution_uai, "institution_uai", S::Analytic, "institution UAI: 7 digits and a check letter"},
    {F::programme, "programme", S::Analytic, "FORPRO_SUP, DAEU or CAPACITE_DROIT"},
    {F::course_title, "course_title", S::Analytic, "title of the course followed"},
    {F::rncp_code, "rncp_code", S::Analytic, "RNCP certification code, RNCP followed by digits"},
    {F::rs_code, "rs_code", S::Analytic, "Repertoire specifique code, RS followed by digits"},
    {F::formacode, "formacode", S::Analytic, "Formacode, 5 digits"},
    {F::entry_date, "entry_date", S::Analytic, "date the training started, yyyy-mm-dd"},
    {F::exit_date, "exit_date", S::Analytic, "date the training ended, yyyy-mm-dd"},
    {F::exit_reason, "exit_reason", S::Analytic, "why the training ended"},
    {F::certification_result, "certification_result", S::Analytic,
     "OBTAINED, PARTIAL, FAILED or PENDING"},
    {F::survey_date, "survey_date", S::Analytic, "date of the insertion survey, yyyy-mm-dd"},
    {F::insertion_status, "insertion_status", S::Analytic, "situation at survey time (status code)"},
    {F::durable_employment, "durable_employment", S::Analytic, "true when in durable employment"},
    {F::pseudonym, "pseudonym", S::Pseudonymous, "keyed pseudonym computed by the gateway"},
}};

constexpr bool catalogMatchesEnumOrder() {
    for (std::size_t i = 0; i < kCatalog.size(); ++i) {
        if (indexOf(kCatalog[i].field) != i) return false;
    }
    return true;
}
static_assert(catalogMatchesEnumOrder(), "field catalogue must follow the order of enum Field");

}  // namespace

const std::array<FieldInfo, kFieldCount>& fieldCatalog() { return kCatalog; }

std::optional<Field> fieldFromName(std::string_view name) {
    for (const FieldInfo& info : kCatalog) {
        if (info.name == name) return info.field;
    }
    return std::nullopt;
}

std::string_view nameOf(Field f) { return kCatalog[indexOf(f)].name; }

Sensitivity sensitivityOf(Field f) { return kCatalog[indexOf(f)].sensitivity; }

}  // namespace passerelle::record
