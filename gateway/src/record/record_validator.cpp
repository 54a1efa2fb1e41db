#include "record/record_validator.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <string_view>

#include "record/field_syntax.h"

namespace passerelle::record {

namespace {

// Reasons are fixed texts: nothing derived from a value can leak into them.
namespace reason {
constexpr std::string_view kMissing = "required field is missing or empty";
constexpr std::string_view kNir =
    "value looks like a French social-security number (NIR), which passerelle never accepts; "
    "remove this column from the mapping";
constexpr std::string_view kUtf8 = "not valid UTF-8 text: re-export the file in UTF-8";
constexpr std::string_view kDateSyntax = "not a date: expected dd/mm/yyyy or yyyy-mm-dd";
constexpr std::string_view kDateCalendar = "not a real calendar date: day or month out of range";
constexpr std::string_view kDateYear = "date year out of range: expected a year from 1900 to 2100";
constexpr std::string_view kExitBeforeEntry = "exit date is before entry date";
constexpr std::string_view kBirthNotBeforeEntry = "birth date is not before entry date";
constexpr std::string_view kEmail =
    "not an e-mail address: expected local-part@domain.tld, without spaces, local part at most 64 characters";
constexpr std::string_view kPhone =
    "not a phone number: expected 10 French digits starting with 0 (spaces, dots, dashes allowed), "
    "+33 / 0033 forms, or +country code with 8 to 15 digits";
constexpr std::string_view kIne =
    "not an INE: expected 11 characters, 9 digits + 2 letters, 10 digits + 1 letter, or 4 digits + A + 5 "
    "digits + 1 letter";
constexpr std::string_view kUaiShape = "not a UAI: expected 7 digits followed by a check letter";
constexpr std::string_view kUaiKey = "UAI check letter does not match its 7 digits";
constexpr std::string_view kFranceTravail = "not a France Travail id: expected 7 to 11 digits or letters A-Z";
constexpr std::string_view kPostalCode = "not a postal code: expected 5 digits";
constexpr std::string_view kCommune = "not an INSEE commune code: expected 5 digits, or 2A/2B and 3 digits";
constexpr std::string_view kRncp = "not an RNCP code: expected RNCP followed by digits";
constexpr std::string_view kRs = "not an RS code: expected RS followed by digits";
constexpr std::string_view kFormacode = "not a Formacode: expected 5 digits";
constexpr std::string_view kProgramme = "unknown programme: expected FORPRO_SUP, DAEU or CAPACITE_DROIT";
constexpr std::string_view kCertification =
    "unknown certification result: expected OBTAINED, PARTIAL, FAILED or PENDING";
constexpr std::string_view kInsertion =
    "unknown insertion status: expected EMPLOYED_PERMANENT, EMPLOYED_FIXED_6M_PLUS, EMPLOYED_FIXED_UNDER_6M, "
    "TEMPING, WORK_STUDY, SELF_EMPLOYED, IN_TRAINING, JOB_SEEKER_REGISTERED, UNEMPLOYED_NOT_REGISTERED, "
    "INACTIVE or NO_ANSWER";
constexpr std::string_view kYesNo = "not a yes/no value: expected true/false, oui/non, yes/no or 1/0";
constexpr std::string_view kStudentNumber =
    "not a student number: expected 1 to 64 visible ASCII characters without spaces";
constexpr std::string_view kControl = "contains a control character (tab, line break or other invisible code)";
constexpr std::string_view kNameTooLong = "name too long: at most 100 bytes";
constexpr std::string_view kTextTooLong = "text too long: at most 500 bytes";
}  // namespace reason

class ProblemList {
public:
    explicit ProblemList(std::vector<FieldProblem>& out) : out_(out) {}
    void add(Field f, std::string_view why) {
        out_.push_back(FieldProblem{f, std::string(why)});
        bad_.set(indexOf(f));
    }
    bool isBad(Field f) const { return bad_.test(indexOf(f)); }
    void replaceLastReason(std::string_view why) { out_.back().reason.assign(why); }

private:
    std::vector<FieldProblem>& out_;
    std::bitset<kFieldCount> bad_;
};

void storeIfChanged(TraineeRecord& record, Field f, std::string_view normalised) {
    if (normalised != record.get(f)) record.set(f, normalised);
}

void checkDate(TraineeRecord& record, Field f, ProblemList& problems) {
    ShortValue iso;
    switch (parseDate(record.get(f), iso)) {
        case DateProblem::None:
            storeIfChanged(record, f, iso.view());
            return;
        case DateProblem::Syntax:
            problems.add(f, reason::kDateSyntax);
            return;
        case DateProblem::NotACalendarDate:
            problems.add(f, reason::kDateCalendar);
            return;
        case DateProblem::YearOutOfRange:
            problems.add(f, reason::kDateYear);
            return;
    }
}

// Codes are case-insensitive in exports: the upper-case form is validated and kept.
template <typename Predicate>
void checkCode(TraineeRecord& record, Field f, std::string_view why, ProblemList& problems, Predicate valid) {
    const std::string_view value = record.get(f);
    if (!hasAsciiLower(value)) {  // the usual case: no copy
        if (!valid(std::string_view(value))) problems.add(f, why);
        return;
    }
    const std::optional<ShortValue> upper = upperAscii(value);
    if (!upper || !valid(upper->view())) {
        problems.add(f, why);
        return;
    }
    record.set(f, upper->view());
}

void checkText(TraineeRecord& record, Field f, bool isName, ProblemList& problems) {
    std::array<char, RecordValidator::kMaxFreeTextBytes> buffer;
    const std::size_t limit = isName ? RecordValidator::kMaxNameBytes : RecordValidator::kMaxFreeTextBytes;
    std::size_t size = 0;
    bool rewritten = false;
    switch (collapseText(record.get(f), /*lineBreaksAreSpace=*/!isName, limit, buffer.data(), size, rewritten)) {
        case TextProblem::None:
            if (rewritten) record.set(f, {buffer.data(), size});
            return;
        case TextProblem::InvalidUtf8:
            problems.add(f, reason::kUtf8);
            return;
        case TextProblem::ControlCharacter:
            problems.add(f, reason::kControl);
            return;
        case TextProblem::TooLong:
            problems.add(f, isName ? reason::kNameTooLong : reason::kTextTooLong);
            return;
    }
}

void checkEmail(TraineeRecord& record, ProblemList& problems) {
    const std::string_view value = record.get(Field::email);
    if (!isEmail(value)) {
        problems.add(Field::email, reason::kEmail);
        return;
    }
    // Domains are case-insensitive; the local part is left as written (RFC 5321).
    // Most domains are already lower-case: copy only when one is not.
    const std::size_t at = value.find('@');
    const std::string_view domain = std::string_view(value).substr(at + 1);
    if (!std::any_of(domain.begin(), domain.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) return;
    std::array<char, 254> lowered;
    for (std::size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        if (i > at && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        lowered[i] = c;
    }
    record.set(Field::email, {lowered.data(), value.size()});
}

void checkPhone(TraineeRecord& record, ProblemList& problems) {
    const std::optional<ShortValue> e164 = e164Phone(record.get(Field::mobile_phone));
    if (!e164) {
        problems.add(Field::mobile_phone, reason::kPhone);
        return;
    }
    storeIfChanged(record, Field::mobile_phone, e164->view());
}

void checkDurableEmployment(TraineeRecord& record, ProblemList& problems) {
    const std::optional<bool> yes = parseYesNo(record.get(Field::durable_employment));
    if (!yes) {
        problems.add(Field::durable_employment, reason::kYesNo);
        return;
    }
    storeIfChanged(record, Field::durable_employment, *yes ? "true" : "false");
}

void checkUai(TraineeRecord& record, ProblemList& problems) {
    const std::optional<ShortValue> upper = upperAscii(record.get(Field::institution_uai));
    if (!upper || !isUaiShape(upper->view())) {
        problems.add(Field::institution_uai, reason::kUaiShape);
    } else if (!uaiCheckLetterMatches(upper->view())) {
        problems.add(Field::institution_uai, reason::kUaiKey);
    } else {
        storeIfChanged(record, Field::institution_uai, upper->view());
    }
}

// Fields whose values may hold any letter, so must be checked as UTF-8 first.
// The others only accept ASCII; for them, UTF-8 is only checked on failure, to
// give the better reason, which keeps it off the hot path.
bool isTextField(Field f) {
    switch (f) {
        case Field::birth_name:
        case Field::usage_name:
        case Field::first_names:
        case Field::postal_address:
        case Field::course_title:
        case Field::exit_reason:
        case Field::pseudonym:
            return true;
        default:
            return false;
    }
}

// The value is already trimmed and free of NIR.
void checkField(TraineeRecord& record, Field f, ProblemList& problems) {
    switch (f) {
        case Field::local_student_id:
            if (!isStudentNumber(record.get(f))) problems.add(f, reason::kStudentNumber);
            return;
        case Field::ine:
            return checkCode(record, f, reason::kIne, problems, isIne);
        case Field::france_travail_id:
            return checkCode(record, f, reason::kFranceTravail, problems, isFranceTravailId);
        case Field::birth_name:
        case Field::usage_name:
        case Field::first_names:
            return checkText(record, f, /*isName=*/true, problems);
        case Field::birth_date:
        case Field::entry_date:
        case Field::exit_date:
        case Field::survey_date:
            return checkDate(record, f, problems);
        case Field::email:
            return checkEmail(record, problems);
        case Field::mobile_phone:
            return checkPhone(record, problems);
        case Field::postal_address:
        case Field::course_title:
        case Field::exit_reason:
            return checkText(record, f, /*isName=*/false, problems);
        case Field::postal_code:
            if (!isPostalCode(record.get(f))) problems.add(f, reason::kPostalCode);
            return;
        case Field::commune_insee:
            return checkCode(record, f, reason::kCommune, problems, isCommuneInsee);
        case Field::institution_uai:
            return checkUai(record, problems);
        case Field::programme:
            return checkCode(record, f, reason::kProgramme, problems, isProgramme);
        case Field::rncp_code:
            return checkCode(record, f, reason::kRncp, problems,
                             [](std::string_view v) { return isPrefixedNumber(v, "RNCP"); });
        case Field::rs_code:
            return checkCode(record, f, reason::kRs, problems,
                             [](std::string_view v) { return isPrefixedNumber(v, "RS"); });
        case Field::formacode:
            if (!isFormacode(record.get(f))) problems.add(f, reason::kFormacode);
            return;
        case Field::certification_result:
            return checkCode(record, f, reason::kCertification, problems, isCertificationResult);
        case Field::insertion_status:
            return checkCode(record, f, reason::kInsertion, problems, isInsertionStatus);
        case Field::durable_employment:
            return checkDurableEmployment(record, problems);
        case Field::pseudonym:
            return;  // computed by the gateway; nothing to check here
    }
}

// Both dates are valid ISO yyyy-mm-dd by now, so text order is date order.
bool bothValid(const TraineeRecord& record, const ProblemList& problems, Field a, Field b) {
    return record.has(a) && record.has(b) && !problems.isBad(a) && !problems.isBad(b);
}

}  // namespace

RecordValidator::RecordValidator(std::vector<Field> required) : required_(std::move(required)) {}

std::vector<Field> RecordValidator::defaultRequired() {
    return {Field::local_student_id, Field::birth_name, Field::first_names, Field::entry_date, Field::exit_date};
}

std::vector<FieldProblem> RecordValidator::normalise(TraineeRecord& record) const {
    std::vector<FieldProblem> out;
    ProblemList problems(out);

    for (const FieldInfo& info : fieldCatalog()) {
        const Field f = info.field;
        if (!record.has(f)) continue;
        std::string_view value = trimmed(record.get(f));
        if (value.size() != record.get(f).size()) {
            record.set(f, value);
            value = record.get(f);  // set() moved the bytes
        }
        if (value.empty()) continue;
        if (value.size() >= 15 && looksLikeNir(value)) {  // size: skip the call for most values
            // Gone before anything else can read, copy or log it.
            record.wipe(f);
            problems.add(f, reason::kNir);
            continue;
        }
        if (f == Field::pseudonym && !isValidUtf8(value)) {  // the other text fields check it as they collapse
            problems.add(f, reason::kUtf8);
            continue;
        }
        checkField(record, f, problems);
        if (problems.isBad(f) && !isTextField(f) && !isValidUtf8(record.get(f))) {
            problems.replaceLastReason(reason::kUtf8);
        }
    }

    for (Field f : required_) {
        if (!record.has(f) && !problems.isBad(f)) problems.add(f, reason::kMissing);
    }

    if (bothValid(record, problems, Field::entry_date, Field::exit_date) &&
        record.get(Field::exit_date) < record.get(Field::entry_date)) {
        problems.add(Field::exit_date, reason::kExitBeforeEntry);
    }
    if (bothValid(record, problems, Field::birth_date, Field::entry_date) &&
        !(record.get(Field::birth_date) < record.get(Field::entry_date))) {
        problems.add(Field::birth_date, reason::kBirthNotBeforeEntry);
    }
    return out;
}

}  // namespace passerelle::record
