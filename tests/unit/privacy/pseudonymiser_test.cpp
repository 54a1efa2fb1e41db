#include "privacy/pseudonymiser.h"

#include <gtest/gtest.h>


#include "common/encoding.h"
#include "test_support.h"

namespace passerelle::privacy {
namespace {

using testing::TempDir;

TEST(Pseudonymiser, DeterministicLowercaseHex) {
    TempDir tmp;
    const PartyKeys keys = testing::makeParty(tmp, "ft");
    const Pseudonymiser p(keys, "insertion-outcome");
    const std::string a = p.pseudonymOf("v1|1840312345678");
    EXPECT_EQ(a.size(), 64u);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
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
    EXPECT_EQ(Pseudonymiser(keys, "d").pseudonymOf(id), toHex(h));
}

}  // namespace
}  // namespace passerelle::privacy
