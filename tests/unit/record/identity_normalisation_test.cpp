#include "record/identity_normalisation.h"

#include <gtest/gtest.h>

#include <chrono>

#include "record/identity.h"

namespace passerelle::record {
namespace {

// Spelt with escapes so the source file's own encoding cannot hide a difference.
const std::string kEloiseComposed = "\xc3\x89lo\xc3\xafse";           // É l o ï s e
const std::string kEloiseDecomposed = "E\xcc\x81loi\xcc\x88se";       // E U+0301 l o i U+0308 s e
const std::string kHeleneComposed = "H\xc3\xa9l\xc3\xa8ne";           // H é l è n e
const std::string kHeleneDecomposed = "He\xcc\x81le\xcc\x80ne";       // H e U+0301 l e U+0300 n e
const std::string kHeleneUpperDecomposed = "HE\xcc\x81LE\xcc\x80NE";  // H E U+0301 L E U+0300 N E

TEST(NormaliseName, ComposedAndDecomposedAccentsAreTheSameName) {
    EXPECT_EQ(normaliseName(kEloiseComposed), normaliseName(kEloiseDecomposed));
    EXPECT_EQ(normaliseName(kHeleneComposed), normaliseName(kHeleneDecomposed));
    EXPECT_EQ(normaliseName(kHeleneComposed), normaliseName(kHeleneUpperDecomposed));
    EXPECT_EQ(normaliseName(kEloiseDecomposed), "\xc3\xa9lo\xc3\xafse") << "NFC, lower case";
}

TEST(NormaliseName, KeepsAccents) {
    EXPECT_NE(normaliseName(kHeleneComposed), normaliseName("Helene"));
    EXPECT_EQ(normaliseName("Lef\xc3\xa8vre"), "lef\xc3\xa8vre");
}

TEST(NormaliseName, FoldsCase) {
    EXPECT_EQ(normaliseName("DUPONT"), "dupont");
    EXPECT_EQ(normaliseName("Strau\xc3\x9f"), normaliseName("STRAUSS")) << "full case folding: ß = ss";
    EXPECT_EQ(normaliseName("\xc3\x89MILE"), normaliseName("\xc3\xa9mile"));
}

TEST(NormaliseName, HyphensOfAnyKindAndTheirSpaces) {
    const std::string expected = "jean-baptiste";
    EXPECT_EQ(normaliseName("Jean-Baptiste"), expected);
    EXPECT_EQ(normaliseName("jean \xe2\x80\x93 baptiste"), expected);  // en dash with spaces
    EXPECT_EQ(normaliseName("JEAN\xe2\x80\x94"
                            "BAPTISTE"),
              expected);  // em dash
    EXPECT_EQ(normaliseName("Jean\xe2\x80\x90"
                            "Baptiste"),
              expected);  // U+2010 hyphen
    EXPECT_EQ(normaliseName("Jean\xe2\x80\x91"
                            "Baptiste"),
              expected);                                               // non-breaking hyphen
    EXPECT_EQ(normaliseName("Jean \xe2\x88\x92 Baptiste"), expected);  // minus sign
    EXPECT_EQ(normaliseName("Jean - Baptiste"), expected);
}

TEST(NormaliseName, ApostrophesOfAnyKindAndTheirSpaces) {
    const std::string expected = "n'diaye";
    EXPECT_EQ(normaliseName("N'Diaye"), expected);
    EXPECT_EQ(normaliseName("N\xe2\x80\x99"
                            "DIAYE"),
              expected);  // ’
    EXPECT_EQ(normaliseName("N\xca\xbc"
                            "Diaye"),
              expected);  // ʼ
    EXPECT_EQ(normaliseName("N`Diaye"), expected);
    EXPECT_EQ(normaliseName("N\xc2\xb4"
                            "Diaye"),
              expected);  // ´
    EXPECT_EQ(normaliseName("N ' Diaye"), expected);
    EXPECT_EQ(normaliseName("d\xe2\x80\x99"
                            "Arc"),
              normaliseName("D'ARC"));
}

TEST(NormaliseName, WhiteSpaceCollapsedAndTrimmed) {
    EXPECT_EQ(normaliseName("  Le   Goff\t"), "le goff");
    EXPECT_EQ(normaliseName("Le\xc2\xa0Goff"), "le goff") << "no-break space";
    EXPECT_EQ(normaliseName("Le\xe2\x80\xafGoff "), "le goff") << "narrow no-break space";
    EXPECT_EQ(normaliseName("   "), "");
    EXPECT_EQ(normaliseName(""), "");
}

TEST(NormaliseName, AsciiFastPathAgreesWithIcu) {
    for (const char* name : {"Jean-Baptiste", "  N'Diaye ", "LE   GOFF", "O`Neil - Smith", "a\tb\nc", "x-'y",
                             "Dupont--Durand", "  -  ", "MacArthur 3rd"}) {
        std::string icu;
        detail::appendNormalisedNameIcu(icu, name);
        EXPECT_EQ(normaliseName(name), icu) << name;
    }
}

std::string utf8Of(char32_t cp) {
    std::string s;
    if (cp < 0x80) {
        s += static_cast<char>(cp);
    } else if (cp < 0x800) {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        s += static_cast<char>(0xE0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return s;
}

TEST(NormaliseName, LatinFastPathAgreesWithIcuForEveryCharacterItHandles) {
    int handled = 0;
    for (char32_t cp = 0x20; cp < 0x2300; ++cp) {
        if (cp == 0x7F || (cp >= 0x800 && cp < 0x2000)) continue;
        const std::string ch = utf8Of(cp);
        for (const std::string& name : {ch, "Ab" + ch + "Cd", " x " + ch + " y ", ch + "-" + ch, "'" + ch}) {
            std::string fast;
            if (!detail::appendNormalisedNameLatin1(fast, name)) {
                EXPECT_TRUE(fast.empty()) << "a refused name leaves the buffer unchanged";
                continue;
            }
            ++handled;
            std::string icu;
            detail::appendNormalisedNameIcu(icu, name);
            EXPECT_EQ(fast, icu) << "U+" << std::hex << static_cast<unsigned>(cp);
        }
    }
    EXPECT_GT(handled, 5 * (0x7E - 0x20 + 0x100 - 0xC0));
    // All French letters take the fast path; a combining mark does not.
    std::string out;
    EXPECT_TRUE(detail::appendNormalisedNameLatin1(out,
                                                   "\xc3\x89lo\xc3\xafse \xc5\x92uvray \xc3\x87"
                                                   "a\xc3\xaf"));
    EXPECT_TRUE(detail::appendNormalisedNameLatin1(out,
                                                   "N\xe2\x80\x99"
                                                   "Diaye Jean \xe2\x80\x93 Paul"));
    EXPECT_FALSE(detail::appendNormalisedNameLatin1(out, kEloiseDecomposed));
}

TEST(NormaliseName, TheIdentitySeparatorCannotAppearInAName) {
    EXPECT_EQ(normaliseName("a|b"), "a/b");
    EXPECT_EQ(normaliseName("\xc3\xa9|b"), "\xc3\xa9/b");
}

TEST(NormaliseName, AppendsToAnExistingBuffer) {
    std::string out = "v2|";
    appendNormalisedName(out, " Dupont ");
    EXPECT_EQ(out, "v2|dupont");
}

// ---- identity v2 ----------------------------------------------------------------

TraineeRecord trainee(std::string_view localId, std::string_view birthName, std::string_view firstNames,
                      std::string_view birthDate, std::string_view ine = {}) {
    TraineeRecord r;
    if (!localId.empty()) r.set(Field::local_student_id, localId);
    if (!birthName.empty()) r.set(Field::birth_name, birthName);
    if (!firstNames.empty()) r.set(Field::first_names, firstNames);
    if (!birthDate.empty()) r.set(Field::birth_date, birthDate);
    if (!ine.empty()) r.set(Field::ine, ine);
    return r;
}

TEST(IdentityV2, IsNamesAndBirthDate) {
    EXPECT_EQ(
        identityKey(trainee("21904567", "N'Diaye", kHeleneComposed + " Marie", "2001-02-03"), "0342321N"),
        "v2|n'diaye|h\xc3\xa9l\xc3\xa8ne|2001-02-03");
}

TEST(IdentityV2, SameTraineeFromApogeeAndPegaseGetsTheSameIdentity) {
    // Apogée CSV: local number, composed accents, typewriter apostrophe.
    const auto apogee =
        trainee("21904567", "N'Diaye", kEloiseComposed + ", H\xc3\xa9l\xc3\xa8ne", "2001-02-03");
    // Pégase REST: another local number, decomposed accents, typographic apostrophe, capitals.
    const auto pegase = trainee("PGS-000123",
                                "N\xe2\x80\x99"
                                "DIAYE",
                                "  " + kEloiseDecomposed + "  Marie", "2001-02-03", "123456789AB");
    EXPECT_EQ(identityKey(apogee, "0342321N"), identityKey(pegase, "0342321N"));
}

TEST(IdentityV2, HyphenatedAndSpacedFirstNames) {
    const auto a = trainee("1", "Martin", "Jean-Baptiste Louis", "1999-12-31");
    const auto b = trainee("2", "MARTIN", "jean \xe2\x80\x93 baptiste", "1999-12-31");
    const auto c = trainee("3", "  Martin ", "Jean-Baptiste,Louis", "1999-12-31");
    EXPECT_EQ(identityKey(a, "0342321N"), "v2|martin|jean-baptiste|1999-12-31");
    EXPECT_EQ(identityKey(a, "0342321N"), identityKey(b, "0342321N"));
    EXPECT_EQ(identityKey(a, "0342321N"), identityKey(c, "0342321N"));
}

TEST(IdentityV2, ComposedAndDecomposedNamesGiveTheSameIdentity) {
    const auto a = trainee("1", kHeleneComposed, kEloiseComposed, "2000-01-01");
    const auto b = trainee("2", kHeleneUpperDecomposed, kEloiseDecomposed, "2000-01-01");
    EXPECT_EQ(identityKey(a, "0342321N"), identityKey(b, "0342321N"));
}

TEST(IdentityV2, DifferentPeopleDiffer) {
    const auto a = trainee("1", "Martin", "Jean", "1999-12-31");
    EXPECT_NE(identityKey(a, "X"), identityKey(trainee("1", "Martin", "Jean", "1999-12-30"), "X"));
    EXPECT_NE(identityKey(a, "X"), identityKey(trainee("1", "Martin", "Jeanne", "1999-12-31"), "X"));
    EXPECT_NE(identityKey(a, "X"), identityKey(trainee("1", "Martín", "Jean", "1999-12-31"), "X"))
        << "accents kept";
}

TEST(IdentityV2, FallsBackToIneThenLocalNumber) {
    EXPECT_EQ(identityKey(trainee("21904567", "Martin", "Jean", "", "123456789AB"), "0342321N"),
              "v2|ine|123456789AB");
    EXPECT_EQ(identityKey(trainee("21904567", "", "Jean", "1999-12-31", "123456789AB"), "0342321N"),
              "v2|ine|123456789AB");
    EXPECT_EQ(identityKey(trainee("21904567", "Martin", "", "1999-12-31"), "0342321N"),
              "v2|local|0342321N|21904567");
    EXPECT_EQ(identityKey(trainee("21904567", "Martin", " , ", "1999-12-31"), "0342321N"),
              "v2|local|0342321N|21904567")
        << "a first-names value with no name in it counts as missing";
    EXPECT_THROW(identityKey(trainee("21904567", "", "", ""), ""), IdentityError)
        << "local number needs a UAI";
    EXPECT_THROW(identityKey(trainee("", "Martin", "Jean", ""), "0342321N"), IdentityError);
}

TEST(IdentityV2, ReusedBufferGivesTheSameText) {
    std::string key = "left over from a previous row, longer than the identity";
    identityKey(trainee("1", "Le  Goff", "Ana\xc3\xafs", "2002-05-06"), "X", key);
    EXPECT_EQ(key, "v2|le goff|ana\xc3\xafs|2002-05-06");
}

}  // namespace
}  // namespace passerelle::record
