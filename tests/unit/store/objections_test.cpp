#include <algorithm>
// The institution's objection list and per-batch pseudonyms in state.db:
// pseudonyms only, unique per purpose, and found again after a reopen.

#include "store/carried_pseudonyms.h"
#include "store/state_store.h"
#include "store_engines.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace passerelle::store {
namespace {

namespace fs = std::filesystem;

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "passerelle-store-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// Synthetic 64-hex-char pseudonyms.
std::string pseudonym(char c) { return std::string(64, c); }

constexpr const char* kSurvey = "region-survey-contact";
constexpr const char* kOutcome = "insertion-outcome";

// The objection tests run on both engines.
class Objections : public ::testing::TestWithParam<db::Engine> {
protected:
    void SetUp() override {
        database_ = std::make_unique<testing::TestDatabase>(GetParam());
        if (!database_->available()) return testing::TestDatabase::skipWithoutServer();
    }
    std::shared_ptr<db::Database> open() { return database_->open(); }

    std::unique_ptr<testing::TestDatabase> database_;
};

TEST_P(Objections, AreUniquePerPurposeAndPseudonym) {
    StateStore store(open());
    EXPECT_TRUE(store.objections().addObjection({kSurvey, pseudonym('a'), "2026-11-29T08:00:00Z"}));
    EXPECT_FALSE(store.objections().addObjection({kSurvey, pseudonym('a'), "2026-11-29T09:00:00Z"})) << "a repeat changes nothing";
    EXPECT_TRUE(store.objections().addObjection({kOutcome, pseudonym('a'), "2026-11-29T08:30:00Z"})) << "another purpose";
    EXPECT_TRUE(store.objections().addObjection({kSurvey, pseudonym('b'), "2026-11-29T10:00:00Z"}));

    const auto all = store.objections().all();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].purpose, kSurvey);
    EXPECT_EQ(all[0].createdAt, "2026-11-29T08:00:00Z") << "the first add's date is kept";
    EXPECT_EQ(all[1].purpose, kOutcome);

    const auto survey = store.objections().all(std::string(kSurvey));
    ASSERT_EQ(survey.size(), 2u);
    EXPECT_EQ(survey[0].pseudonym, pseudonym('a'));
    EXPECT_EQ(survey[1].pseudonym, pseudonym('b'));
}

TEST_P(Objections, SetIsProbedByViewAndReflectsRemovals) {
    StateStore store(open());
    store.objections().addObjection({kSurvey, pseudonym('a'), "2026-11-29T08:00:00Z"});
    store.objections().addObjection({kSurvey, pseudonym('b'), "2026-11-29T08:00:00Z"});
    store.objections().addObjection({kOutcome, pseudonym('c'), "2026-11-29T08:00:00Z"});

    PseudonymSet set = store.objections().objectionSet(kSurvey);
    const std::string a = pseudonym('a');
    EXPECT_EQ(set.size(), 2u);
    EXPECT_TRUE(set.contains(std::string_view(a)));
    EXPECT_FALSE(set.contains(std::string_view(pseudonym('c')))) << "objections are per purpose";

    EXPECT_TRUE(store.objections().removeObjection(kSurvey, a));
    EXPECT_FALSE(store.objections().removeObjection(kSurvey, a)) << "already removed";
    EXPECT_FALSE(store.objections().removeObjection(kOutcome, pseudonym('b'))) << "no such objection for that purpose";
    set = store.objections().objectionSet(kSurvey);
    EXPECT_EQ(set.size(), 1u);
    EXPECT_FALSE(set.contains(std::string_view(a)));
    EXPECT_TRUE(store.objections().objectionSet("unknown-purpose").empty());
}

TEST_P(Objections, RekeyMovesAnObjectionToTheCurrentPseudonymKeepingItsDate) {
    StateStore store(open());
    const std::string old = "1:" + pseudonym('a');
    const std::string current = "2:" + pseudonym('b');
    store.objections().addObjection({kSurvey, old, "2026-11-29T08:00:00Z"});
    EXPECT_TRUE(store.objections().rekeyObjection(kSurvey, old, current));
    auto survey = store.objections().all(std::string(kSurvey));
    ASSERT_EQ(survey.size(), 1u);
    EXPECT_EQ(survey[0].pseudonym, current);
    EXPECT_EQ(survey[0].createdAt, "2026-11-29T08:00:00Z") << "the date the trainee objected";
    EXPECT_FALSE(store.objections().rekeyObjection(kSurvey, old, current)) << "nothing left to move";
    EXPECT_FALSE(store.objections().rekeyObjection(kOutcome, current, old)) << "per purpose";

    // Both recorded (e.g. two runs raced): the older one is dropped, not counted.
    store.objections().addObjection({kSurvey, old, "2026-11-30T08:00:00Z"});
    EXPECT_FALSE(store.objections().rekeyObjection(kSurvey, old, current));
    survey = store.objections().all(std::string(kSurvey));
    ASSERT_EQ(survey.size(), 1u);
    EXPECT_EQ(survey[0].pseudonym, current);
}

TEST(CarriedPseudonyms, OnePassFindsTheBatchesCarryingAnyOfSeveralPseudonyms) {
    TempDir dir;
    const auto carried = dir.path() / "carried";
    for (const auto& [batch, p] :
         {std::pair{"11111111111111111111111111111111", '1'}, std::pair{"22222222222222222222222222222222", '2'}, std::pair{"33333333333333333333333333333333", '3'}}) {
        CarriedPseudonymsWriter writer(carried, batch);
        writer.add(pseudonym(p));
        writer.commit();
    }
    auto found = batchesCarryingAny(carried, {pseudonym('1'), pseudonym('3'), pseudonym('9')});
    std::sort(found.begin(), found.end());
    EXPECT_EQ(found, (std::vector<std::string>{"11111111111111111111111111111111", "33333333333333333333333333333333"}));
    EXPECT_TRUE(batchesCarryingAny(carried, {}).empty());
}

TEST_P(Objections, SurviveAReopen) {
    {
        StateStore store(open());
        store.objections().addObjection({kSurvey, pseudonym('d'), "2026-11-29T08:00:00Z"});
    }
    StateStore reopened(open());
    EXPECT_EQ(reopened.objections().all().size(), 1u);
    EXPECT_TRUE(reopened.objections().objectionSet(kSurvey).contains(std::string_view(pseudonym('d'))));
}

TEST(CarriedPseudonyms, FindTheBatchesThatCarriedAPseudonym) {
    TempDir dir;
    const auto carried = dir.path() / "carried";
    {
        CarriedPseudonymsWriter batch(carried, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        batch.add(pseudonym('a'));
        batch.add(pseudonym('b'));
        batch.commit();
    }
    {
        CarriedPseudonymsWriter batch(carried, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        batch.add(pseudonym('a'));
        batch.add(pseudonym('c'));
        batch.commit();
    }
    {
        CarriedPseudonymsWriter abandoned(carried, "ffffffffffffffffffffffffffffffff");  // never committed: leaves nothing
        abandoned.add(pseudonym('z'));
    }
    auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    EXPECT_EQ(sorted(batchesCarrying(carried, pseudonym('a'))), (std::vector<std::string>{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}));
    EXPECT_EQ(batchesCarrying(carried, pseudonym('c')), (std::vector<std::string>{"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}));
    EXPECT_TRUE(batchesCarrying(carried, pseudonym('z')).empty());
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(carried), std::filesystem::directory_iterator()), 2);

    forgetCarriedPseudonyms(carried, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    EXPECT_EQ(batchesCarrying(carried, pseudonym('a')), (std::vector<std::string>{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}));
    EXPECT_TRUE(batchesCarrying(carried, pseudonym('c')).empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, Objections, ::testing::Values(db::Engine::SQLite, db::Engine::PostgreSQL),
                         testing::engineName);

}  // namespace
}  // namespace passerelle::store
