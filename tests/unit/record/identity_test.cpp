#include "record/identity.h"

#include <gtest/gtest.h>

namespace passerelle::record {
namespace {

TEST(IdentityKey, PrefersTheLocalStudentNumber) {
    TraineeRecord r;
    r.set(Field::local_student_id, "21904567");
    r.set(Field::ine, "123456789AB");
    EXPECT_EQ(identityKey(r, "0342321N"), "v1|0342321N|21904567");
}

TEST(IdentityKey, FallsBackToIne) {
    TraineeRecord r;
    r.set(Field::ine, "123456789AB");
    EXPECT_EQ(identityKey(r, "0342321N"), "v1|ine|123456789AB");
    EXPECT_EQ(identityKey(r, "0751717J"), "v1|ine|123456789AB") << "INE is national: no institution";
}

TEST(IdentityKey, DoesNotDependOnNamesOrDates) {
    TraineeRecord a;
    a.set(Field::local_student_id, "21904567");
    a.set(Field::birth_name, "Dupont-Écrivain");
    TraineeRecord b;
    b.set(Field::local_student_id, "21904567");
    b.set(Field::birth_name, "DUPONT ECRIVAIN");
    b.set(Field::birth_date, "1999-03-14");
    EXPECT_EQ(identityKey(a, "0342321N"), identityKey(b, "0342321N"));
    EXPECT_NE(identityKey(a, "0342321N"), identityKey(a, "0751717J"));
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
