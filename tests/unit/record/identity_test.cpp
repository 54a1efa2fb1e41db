#include "record/identity.h"

#include <gtest/gtest.h>

namespace passerelle::record {
namespace {

TEST(IdentityKey, WithoutCivilIdentityUsesTheIneThenTheLocalNumber) {
    TraineeRecord r;
    r.set(Field::local_student_id, "21904567");
    EXPECT_EQ(identityKey(r, "0342321N"), "v2|local|0342321N|21904567");
    EXPECT_NE(identityKey(r, "0342321N"), identityKey(r, "0751717J")) << "local numbers are per institution";
    r.set(Field::ine, "123456789AB");
    EXPECT_EQ(identityKey(r, "0342321N"), "v2|ine|123456789AB");
    EXPECT_EQ(identityKey(r, "0751717J"), "v2|ine|123456789AB") << "INE is national: no institution";
}

TEST(IdentityKey, CivilIdentityDoesNotDependOnLocalNumbersOrSpelling) {
    TraineeRecord a;
    a.set(Field::local_student_id, "21904567");
    a.set(Field::birth_name, "Dupont-\xc3\x89" "crivain");
    a.set(Field::first_names, "Marie Claire");
    a.set(Field::birth_date, "1999-03-14");
    TraineeRecord b;
    b.set(Field::local_student_id, "PGS0042");
    b.set(Field::ine, "123456789AB");
    b.set(Field::birth_name, "DUPONT - \xc3\x89" "CRIVAIN");
    b.set(Field::first_names, "marie");
    b.set(Field::birth_date, "1999-03-14");
    EXPECT_EQ(identityKey(a, "0342321N"), "v2|dupont-\xc3\xa9" "crivain|marie|1999-03-14");
    EXPECT_EQ(identityKey(a, "0342321N"), identityKey(b, "0751717J"));
}

TEST(IdentityKey, RefusesARecordWithoutIdentifier) {
    TraineeRecord r;
    r.set(Field::birth_name, "Dupont-Écrivain");
    r.sourceLine = 17;
    try {
        identityKey(r, "0342321N");
        FAIL() << "expected IdentityError";
    } catch (const IdentityError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("line 17"), std::string::npos);
        EXPECT_EQ(message.find("Dupont"), std::string::npos);
    }
    TraineeRecord withId;
    withId.set(Field::local_student_id, "21904567");
    EXPECT_THROW(identityKey(withId, ""), IdentityError);
}

}  // namespace
}  // namespace passerelle::record
