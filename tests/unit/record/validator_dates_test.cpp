#include <gtest/gtest.h>

#include "validator_test_support.h"

namespace passerelle::record {
namespace {

using testing::check;
using testing::defaultValidator;
using testing::normalisedOk;
using testing::reasonsFor;
using testing::refused;
using testing::validRecord;

TEST(ValidatorDates, NormalisesFrenchFormsToIso) {
    EXPECT_EQ(normalisedOk(Field::entry_date, "01/09/2023"), "2023-09-01");
    EXPECT_EQ(normalisedOk(Field::entry_date, "1/9/2023"), "2023-09-01");
    EXPECT_EQ(normalisedOk(Field::entry_date, "2023-09-01"), "2023-09-01");
    EXPECT_EQ(normalisedOk(Field::birth_date, "14/3/1999"), "1999-03-14");
    EXPECT_EQ(normalisedOk(Field::survey_date, " 15/01/2025 "), "2025-01-15");
    EXPECT_EQ(normalisedOk(Field::exit_date, "30/06/2024"), "2024-06-30");
}

TEST(ValidatorDates, LeapDays) {
    EXPECT_EQ(normalisedOk(Field::survey_date, "29/02/2024"), "2024-02-29");
    EXPECT_EQ(normalisedOk(Field::birth_date, "2000-02-29"), "2000-02-29");  // divisible by 400
    EXPECT_EQ(check(Field::survey_date, "29/02/2023"),
              std::vector<std::string>{"not a real calendar date: day or month out of range"});
    EXPECT_TRUE(refused(Field::birth_date, "1900-02-29"));  // divisible by 100, not 400
}

TEST(ValidatorDates, RefusesImpossibleOrMalformedDates) {
    const std::vector<std::string> syntax{"not a date: expected dd/mm/yyyy or yyyy-mm-dd"};
    EXPECT_EQ(check(Field::entry_date, "2023/09/01"), syntax);
    EXPECT_EQ(check(Field::entry_date, "01-09-2023"), syntax);
    EXPECT_EQ(check(Field::entry_date, "1/9/23"), syntax);
    EXPECT_EQ(check(Field::entry_date, "001/9/2023"), syntax);
    EXPECT_EQ(check(Field::entry_date, "2023-9-01"), syntax);
    EXPECT_EQ(check(Field::entry_date, "01/09/2023 00:00"), syntax);
    EXPECT_EQ(check(Field::entry_date, "septembre 2023"), syntax);
    EXPECT_TRUE(refused(Field::entry_date, "31/04/2023"));
    EXPECT_TRUE(refused(Field::entry_date, "2023-13-01"));
    EXPECT_TRUE(refused(Field::entry_date, "00/01/2023"));
    EXPECT_EQ(check(Field::birth_date, "01/01/1850"),
              std::vector<std::string>{"date year out of range: expected a year from 1900 to 2100"});
}

TEST(ValidatorDates, ExitMustNotPrecedeEntry) {
    TraineeRecord r = validRecord();
    r.set(Field::entry_date, "01/09/2023");
    r.set(Field::exit_date, "31/08/2023");
    auto problems = defaultValidator().normalise(r);
    EXPECT_EQ(reasonsFor(problems, Field::exit_date), std::vector<std::string>{"exit date is before entry date"});

    r.set(Field::exit_date, "01/09/2023");  // same day is fine
    EXPECT_TRUE(defaultValidator().normalise(r).empty());
}

TEST(ValidatorDates, ComparesAcrossInputFormats) {
    TraineeRecord r = validRecord();
    r.set(Field::entry_date, "2/1/2024");
    r.set(Field::exit_date, "2023-12-31");
    EXPECT_EQ(reasonsFor(defaultValidator().normalise(r), Field::exit_date),
              std::vector<std::string>{"exit date is before entry date"});
}

TEST(ValidatorDates, BirthMustPrecedeEntry) {
    TraineeRecord r = validRecord();
    r.set(Field::birth_date, "2023-09-01");  // same day as entry
    EXPECT_EQ(reasonsFor(defaultValidator().normalise(r), Field::birth_date),
              std::vector<std::string>{"birth date is not before entry date"});
}

TEST(ValidatorDates, NoOrderCheckWhenADateIsInvalid) {
    TraineeRecord r = validRecord();
    r.set(Field::entry_date, "not a date");
    const auto problems = defaultValidator().normalise(r);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].field, Field::entry_date);
}

}  // namespace
}  // namespace passerelle::record
