#include "record/field_catalog.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace passerelle::record {
namespace {

TEST(FieldCatalog, HasEveryCanonicalFieldInEnumOrder) {
    EXPECT_EQ(kFieldCount, 26u);
    const auto& catalog = fieldCatalog();
    for (std::size_t i = 0; i < catalog.size(); ++i) {
        EXPECT_EQ(indexOf(catalog[i].field), i);
        EXPECT_FALSE(catalog[i].description.empty());
    }
    EXPECT_EQ(catalog.front().name, "local_student_id");
    EXPECT_EQ(catalog.back().name, "pseudonym");
}

TEST(FieldCatalog, NamesAreUniqueAndRoundTrip) {
    std::set<std::string_view> seen;
    for (const FieldInfo& info : fieldCatalog()) {
        EXPECT_TRUE(seen.insert(info.name).second) << info.name;
        ASSERT_TRUE(fieldFromName(info.name).has_value()) << info.name;
        EXPECT_EQ(*fieldFromName(info.name), info.field);
        EXPECT_EQ(nameOf(info.field), info.name);
    }
}

TEST(FieldCatalog, NameLookupIsExact) {
    EXPECT_EQ(fieldFromName("mobile_phone"), Field::mobile_phone);
    EXPECT_EQ(fieldFromName("durable_employment"), Field::durable_employment);
    EXPECT_FALSE(fieldFromName("Mobile_Phone").has_value());
    EXPECT_FALSE(fieldFromName("mobile phone").has_value());
    EXPECT_FALSE(fieldFromName("nir").has_value());
    EXPECT_FALSE(fieldFromName("").has_value());
}

TEST(FieldCatalog, SensitivityClassesFollowTheDesign) {
    EXPECT_EQ(sensitivityOf(Field::local_student_id), Sensitivity::Identifying);
    EXPECT_EQ(sensitivityOf(Field::ine), Sensitivity::Identifying);
    EXPECT_EQ(sensitivityOf(Field::birth_date), Sensitivity::Identifying);
    EXPECT_EQ(sensitivityOf(Field::email), Sensitivity::Contact);
    EXPECT_EQ(sensitivityOf(Field::commune_insee), Sensitivity::Contact);
    EXPECT_EQ(sensitivityOf(Field::institution_uai), Sensitivity::Analytic);
    EXPECT_EQ(sensitivityOf(Field::durable_employment), Sensitivity::Analytic);
    EXPECT_EQ(sensitivityOf(Field::pseudonym), Sensitivity::Pseudonymous);
    EXPECT_EQ(static_cast<char>(Sensitivity::Contact), 'C');
}

}  // namespace
}  // namespace passerelle::record
