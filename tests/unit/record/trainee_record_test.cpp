#include "record/trainee_record.h"

#include <gtest/gtest.h>

namespace passerelle::record {
namespace {

TEST(TraineeRecord, SetGetHas) {
    TraineeRecord r;
    EXPECT_FALSE(r.has(Field::ine));
    EXPECT_EQ(r.get(Field::ine), "");
    r.set(Field::ine, "123456789AB");
    EXPECT_TRUE(r.has(Field::ine));
    EXPECT_EQ(r.get(Field::ine), "123456789AB");
    r.set(Field::email, "");
    EXPECT_FALSE(r.has(Field::email)) << "present but empty is not 'has'";
}

TEST(TraineeRecord, ClearForgetsValuesButKeepsCapacity) {
    TraineeRecord r;
    const std::string longValue(200, 'x');
    r.set(Field::postal_address, longValue);
    r.sourceLine = 42;
    const char* before = r.get(Field::postal_address).data();
    const auto capacity = r.capacity();
    r.clear();
    EXPECT_FALSE(r.has(Field::postal_address));
    EXPECT_EQ(r.get(Field::postal_address), "");
    EXPECT_EQ(r.sourceLine, 0u);
    EXPECT_EQ(r.capacity(), capacity);
    r.set(Field::postal_address, std::string(150, 'y'));
    EXPECT_EQ(r.get(Field::postal_address).data(), before) << "reused the buffer";
}

TEST(TraineeRecord, SetFromItsOwnStorageTrimsInPlace) {
    TraineeRecord r;
    r.set(Field::birth_name, "   Dupont-Écrivain   ");
    std::string_view inner = r.get(Field::birth_name);
    inner = inner.substr(3, inner.size() - 6);
    r.set(Field::birth_name, inner);
    EXPECT_EQ(r.get(Field::birth_name), "Dupont-Écrivain");
}

TEST(TraineeRecord, WipeErasesTheValue) {
    TraineeRecord r;
    r.set(Field::course_title, "185057800608491");
    r.wipe(Field::course_title);
    EXPECT_FALSE(r.has(Field::course_title));
    EXPECT_EQ(r.get(Field::course_title), "");
}

}  // namespace
}  // namespace passerelle::record
