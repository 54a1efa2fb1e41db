#include "privacy/pseudonymiser.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "common/errors.h"
#include "test_support.h"

namespace passerelle::privacy {
namespace {

using testing::TempDir;

TEST(Pseudonymiser, DeterministicLowercaseHex) {
    TempDir tmp;
    const PartyKeys keys = testing::makeParty(tmp, "ft");
    const Pseudonymiser p(keys, "insertion-outcome");
    const std::string a = p.pseudonymOf("v1|1840312345678");
    ASSERT_EQ(a.size(), 66u);
    EXPECT_EQ(a.substr(0, 2), "1:") << "a fresh key folder is epoch 1";
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef", 2), std::string::npos);
    EXPECT_EQ(a, p.pseudonymOf("v1|1840312345678"));
    EXPECT_NE(a, p.pseudonymOf("v1|1840312345679"));
    // Same key reloaded from disk gives the same pseudonym.
    const PartyKeys again = PartyKeys::load(tmp / "keys-ft");
    EXPECT_EQ(Pseudonymiser(again, "insertion-outcome").pseudonymOf("v1|1840312345678"), a);
}

TEST(Pseudonymiser, DomainsNeverSharePseudonyms) {
    TempDir tmp;
    const PartyKeys keys = testing::makeParty(tmp, "ft");
    const Pseudonymiser a(keys, "insertion-outcome");
    const Pseudonymiser b(keys, "region-survey-contact");
    EXPECT_NE(a.pseudonymOf("v1|x"), b.pseudonymOf("v1|x"));
    EXPECT_NE(pseudonymDomainId("insertion-outcome"), pseudonymDomainId("region-survey-contact"));
}

TEST(Pseudonymiser, DifferentPartyKeysGiveDifferentPseudonyms) {
    TempDir tmp;
    const PartyKeys k1 = testing::makeParty(tmp, "ft");
    const PartyKeys k2 = testing::makeParty(tmp, "other");
    EXPECT_NE(Pseudonymiser(k1, "d").pseudonymOf("v1|x"), Pseudonymiser(k2, "d").pseudonymOf("v1|x"));
}

TEST(Pseudonymiser, MatchesSpecifiedConstruction) {
    TempDir tmp;
    const PartyKeys keys = testing::makeParty(tmp, "ft");
    std::array<std::uint8_t, 32> domainKey{};
    keys.deriveSubkey(pseudonymDomainId("d"), "pslpseud", domainKey);
    const std::string id = "v1|abc";
    std::uint8_t h[32];
    crypto_generichash(h, 32, reinterpret_cast<const std::uint8_t*>(id.data()), id.size(), domainKey.data(),
                       32);
    EXPECT_EQ(Pseudonymiser(keys, "d").pseudonymOf(id), "1:" + toHex(h));
    Pseudonymiser::Hex hex{};
    Pseudonymiser(keys, "d").pseudonymOf(id, hex);
    EXPECT_EQ(std::string(hex.data(), hex.size()), toHex(h)) << "the Hex overload is the digest alone";
}

TEST(Pseudonymiser, SameAcrossInstancesAndReloadsAsInTwoRuns) {
    TempDir tmp;
    const std::string identity = "v2|n'diaye|\xc3\xa9lo\xc3\xafse|2001-02-03";
    std::string first;
    {
        const PartyKeys keys = testing::makeParty(tmp, "ft");
        first = Pseudonymiser(keys, "insertion-outcome").pseudonymOf(identity);
    }
    const PartyKeys reloaded = PartyKeys::load(tmp / "keys-ft");
    const Pseudonymiser a(reloaded, "insertion-outcome");
    const Pseudonymiser b(reloaded, "insertion-outcome");
    EXPECT_EQ(a.pseudonymOf(identity), first);
    EXPECT_EQ(b.pseudonymOf(identity), first);
    std::string reused = "something longer than a pseudonym, left from an earlier row......";
    a.pseudonymOf(identity, reused);
    EXPECT_EQ(reused, first);
}

TEST(Pseudonymiser, DomainsGiveUnrelatedValuesForTheSameIdentity) {
    TempDir tmp;
    const PartyKeys keys = testing::makeParty(tmp, "ft");
    const std::string identity = "v2|dupont|jean-baptiste|2001-02-03";
    const std::string a = Pseudonymiser(keys, "insertion-outcome").pseudonymOf(identity);
    const std::string b = Pseudonymiser(keys, "region-survey-contact").pseudonymOf(identity);
    EXPECT_EQ(a.substr(0, 2), b.substr(0, 2)) << "same key epoch";
    // Unrelated values: each hex digit agrees by chance with probability 1/16 (~4 of 64).
    int same = 0;
    for (std::size_t i = 2; i < a.size(); ++i) {
        same += a[i] == b[i];
    }
    EXPECT_LT(same, 20);
}

TEST(Pseudonymiser, CarriesTheEpochOfThePseudonymKey) {
    TempDir tmp;
    const auto dir = tmp / "keys";
    KeyFolder::generate(dir, "ft");
    const std::string identity = "v2|ine|123456789AB";
    std::string before;
    {
        const PartyKeys keys = PartyKeys::load(dir);
        const Pseudonymiser p(keys, "d");
        EXPECT_EQ(p.epoch(), 1u);
        EXPECT_EQ(p.epochPrefix(), "1:");
        before = p.pseudonymOf(identity);
    }
    const auto r = KeyFolder::rotatePseudonymKey(dir);
    EXPECT_EQ(r.retiredEpoch, 1u);
    EXPECT_EQ(r.epoch, 2u);
    const PartyKeys keys = PartyKeys::load(dir);
    const Pseudonymiser p(keys, "d");
    EXPECT_EQ(p.epoch(), 2u);
    const std::string after = p.pseudonymOf(identity);
    EXPECT_EQ(after.substr(0, 2), "2:");
    EXPECT_NE(after.substr(2), before.substr(2)) << "a new key gives new pseudonyms";
}

TEST(Pseudonymiser, RecomputesThePseudonymsOfRetiredEpochs) {
    TempDir tmp;
    const auto dir = tmp / "keys";
    KeyFolder::generate(dir, "ft");
    const std::string identity = "v2|ine|123456789AB";
    const std::string epoch1 = Pseudonymiser(PartyKeys::load(dir), "d").pseudonymOf(identity);
    KeyFolder::rotatePseudonymKey(dir);
    KeyFolder::rotatePseudonymKey(dir);

    const PartyKeys keys = PartyKeys::load(dir);
    EXPECT_EQ(keys.pseudonymEpochs(), (std::vector<std::uint32_t>{3, 2, 1})) << "newest first";
    EXPECT_TRUE(keys.holdsPseudonymEpoch(1));
    EXPECT_FALSE(keys.holdsPseudonymEpoch(4));
    const Pseudonymiser old(keys, "d", 1);
    EXPECT_EQ(old.epoch(), 1u);
    EXPECT_EQ(old.pseudonymOf(identity), epoch1) << "the retired key gives the epoch-1 pseudonym again";
    const std::string epoch2 = Pseudonymiser(keys, "d", 2).pseudonymOf(identity);
    const std::string current = Pseudonymiser(keys, "d").pseudonymOf(identity);
    EXPECT_EQ(Pseudonymiser(keys, "d", 3).pseudonymOf(identity), current) << "the current epoch, named";
    EXPECT_EQ(epoch2.substr(0, 2), "2:");
    EXPECT_NE(epoch2.substr(2), epoch1.substr(2));
    EXPECT_NE(epoch2.substr(2), current.substr(2));
}

TEST(Pseudonymiser, AnEpochWhoseKeyIsNotHeldIsAKeyErrorNamingIt) {
    TempDir tmp;
    const auto dir = tmp / "keys";
    KeyFolder::generate(dir, "ft");
    KeyFolder::rotatePseudonymKey(dir);
    std::filesystem::remove(dir / "previous-pseudonym" / "1.key");  // the operator deleted it
    const PartyKeys keys = PartyKeys::load(dir);
    EXPECT_EQ(keys.pseudonymEpochs(), std::vector<std::uint32_t>{2});
    for (const std::uint32_t epoch : {1u, 7u}) {
        try {
            Pseudonymiser(keys, "d", epoch);
            ADD_FAILURE() << "expected KeyError for epoch " << epoch;
        } catch (const KeyError& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find("epoch " + std::to_string(epoch)), std::string::npos) << msg;
            EXPECT_NE(msg.find((dir / "previous-pseudonym" / (std::to_string(epoch) + ".key")).string()),
                      std::string::npos)
                << msg;
        }
    }
}

TEST(Pseudonymiser, ReadsTheEpochOfAPseudonym) {
    EXPECT_EQ(pseudonymEpochOf("1:3f0c"), 1u);
    EXPECT_EQ(pseudonymEpochOf("12:" + std::string(64, 'a')), 12u);
    for (const char* bad : {"", "3f0c", ":3f0c", "0:3f0c", "12", "x1:3f0c", "99999999999:3f0c"}) {
        EXPECT_EQ(pseudonymEpochOf(bad), std::nullopt) << bad;
    }
}

}  // namespace
}  // namespace passerelle::privacy
