#include "privacy/pseudonymiser.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

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

TEST(Pseudonymiser, Throughput) {
    TempDir tmp;
    const PartyKeys keys = testing::makeParty(tmp, "ft");
    const Pseudonymiser p(keys, "insertion-outcome");
    const std::string id = "v1|184031234567812345678901234567890123456789012";  // 48 bytes
    const int n = 1'000'000;
    std::size_t sink = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
        sink += static_cast<unsigned char>(p.pseudonymOf(id)[static_cast<std::size_t>(i) % 64]);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[ perf     ] pseudonymOf: %.2f M/s (48-byte identity)\n", n / s / 1e6);
    EXPECT_GT(sink, 0u);
    EXPECT_GT(n / s, 500'000.0);  // loose floor so a loaded CI box does not flake; target is 2 M/s
}

}  // namespace
}  // namespace passerelle::privacy
