#include <gtest/gtest.h>

#include "record/record_validator.h"
#include "validator_test_support.h"

namespace passerelle::record {
namespace {

using testing::defaultValidator;
using testing::reasonsFor;
using testing::validRecord;

TEST(RecordValidator, CleanRecordHasNoProblemAndIsUnchanged) {
    TraineeRecord r = validRecord();
    const auto problems = defaultValidator().normalise(r);
    EXPECT_TRUE(problems.empty()) << problems.front().reason;
    const TraineeRecord reference = validRecord();
    for (const FieldInfo& info : fieldCatalog()) EXPECT_EQ(r.get(info.field), reference.get(info.field));
}

TEST(RecordValidator, TrimsEveryField) {
    TraineeRecord r = validRecord();
    r.set(Field::local_student_id, "  21904567\t");
    r.set(Field::postal_code, "\xC2\xA0" "34000 ");  // no-break space from a spreadsheet
    r.set(Field::exit_reason, " fin de formation\r\n");
    EXPECT_TRUE(defaultValidator().normalise(r).empty());
    EXPECT_EQ(r.get(Field::local_student_id), "21904567");
    EXPECT_EQ(r.get(Field::postal_code), "34000");
    EXPECT_EQ(r.get(Field::exit_reason), "fin de formation");
}

TEST(RecordValidator, ReportsEveryMissingRequiredField) {
    TraineeRecord r;
    r.set(Field::birth_name, "   ");  // blank counts as missing
    const auto problems = defaultValidator().normalise(r);
    ASSERT_EQ(problems.size(), 5u);
    for (Field f : RecordValidator::defaultRequired()) {
        EXPECT_EQ(reasonsFor(problems, f), std::vector<std::string>{"required field is missing or empty"})
            << nameOf(f);
    }
}

TEST(RecordValidator, RequiredListIsConfigurable) {
    const RecordValidator onlyIne({Field::ine});
    TraineeRecord r;
    r.set(Field::ine, "123456789ab");
    EXPECT_TRUE(onlyIne.normalise(r).empty());
    EXPECT_EQ(r.get(Field::ine), "123456789AB");
    r.clear();
    const auto problems = onlyIne.normalise(r);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].field, Field::ine);
}

TEST(RecordValidator, ReportsEveryProblemNotJustTheFirst) {
    TraineeRecord r = validRecord();
    r.set(Field::email, "no-at-sign");
    r.set(Field::postal_code, "3400");
    r.set(Field::programme, "LICENCE");
    const auto problems = defaultValidator().normalise(r);
    ASSERT_EQ(problems.size(), 3u);
    EXPECT_EQ(problems[0].field, Field::email);
    EXPECT_EQ(problems[1].field, Field::postal_code);
    EXPECT_EQ(problems[2].field, Field::programme);
}

TEST(RecordValidator, NirIsRefusedAndErasedFromAnyColumn) {
    const std::string nir = "1 85 05 78 006 084 91";  // synthetic, correctly keyed
    for (const FieldInfo& info : fieldCatalog()) {
        TraineeRecord r = validRecord();
        r.set(info.field, nir);
        const auto problems = defaultValidator().normalise(r);
        const auto reasons = reasonsFor(problems, info.field);
        ASSERT_EQ(reasons.size(), 1u) << info.name;
        EXPECT_EQ(reasons[0],
                  "value looks like a French social-security number (NIR), which passerelle never accepts; "
                  "remove this column from the mapping");
        EXPECT_FALSE(r.has(info.field)) << info.name;
        EXPECT_EQ(r.get(info.field), "") << info.name;
        for (const FieldProblem& p : problems) {
            EXPECT_EQ(p.reason.find("006"), std::string::npos);
            EXPECT_EQ(p.reason.find("185"), std::string::npos);
        }
    }
}

TEST(RecordValidator, NirWithWrongKeyIsJustAnInvalidValue) {
    TraineeRecord r = validRecord();
    r.set(Field::local_student_id, "185057800608492");  // wrong key: a plausible student number
    EXPECT_TRUE(defaultValidator().normalise(r).empty());
    EXPECT_EQ(r.get(Field::local_student_id), "185057800608492");

    r.set(Field::postal_code, "1 85 05 78 006 084 92");
    const auto reasons = reasonsFor(defaultValidator().normalise(r), Field::postal_code);
    EXPECT_EQ(reasons, std::vector<std::string>{"not a postal code: expected 5 digits"});
}

TEST(RecordValidator, InvalidUtf8IsRefusedInAnyField) {
    for (std::string_view bad : {"Dupont\xC3", "\xC3\x28x", "caf\xE9", "\xED\xA0\x80x", "\xC0\xAFx",
                                 "\xF4\x90\x80\x80"}) {
        TraineeRecord r = validRecord();
        r.set(Field::course_title, bad);
        const auto reasons = reasonsFor(defaultValidator().normalise(r), Field::course_title);
        EXPECT_EQ(reasons, std::vector<std::string>{"not valid UTF-8 text: re-export the file in UTF-8"});
    }
    TraineeRecord r = validRecord();
    r.set(Field::course_title, "Capacité en droit \xF0\x9F\x8E\x93 — 2ᵉ année");
    EXPECT_TRUE(defaultValidator().normalise(r).empty());
}

TEST(RecordValidator, ReasonsNeverQuoteTheValue) {
    TraineeRecord r = validRecord();
    r.set(Field::birth_name, "Zyxwv\x01");
    r.set(Field::email, "zyxwv@@example");
    r.set(Field::mobile_phone, "zyxwv 06");
    r.set(Field::ine, "zyxwv");
    r.set(Field::birth_date, "zyxwv");
    r.set(Field::institution_uai, "zyxwv");
    r.set(Field::insertion_status, "zyxwv");
    const auto problems = defaultValidator().normalise(r);
    EXPECT_EQ(problems.size(), 7u);
    for (const FieldProblem& p : problems) {
        EXPECT_EQ(p.reason.find("zyxwv"), std::string::npos) << nameOf(p.field);
        EXPECT_EQ(p.reason.find("ZYXWV"), std::string::npos) << nameOf(p.field);
    }
}

TEST(RecordValidator, ReusedRecordDoesNotCarryValuesOver) {
    TraineeRecord r = validRecord();
    ASSERT_TRUE(defaultValidator().normalise(r).empty());
    r.clear();
    r.set(Field::local_student_id, "1");
    const auto problems = defaultValidator().normalise(r);
    EXPECT_EQ(problems.size(), 4u);  // the four other required fields
    EXPECT_FALSE(r.has(Field::email));
}

}  // namespace
}  // namespace passerelle::record
