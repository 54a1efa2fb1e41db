// public.keys with a key history: the format (old files still read, forged lines refused
// naming file and line), what rotations record, and which key may have signed a document
// of a given date (privacy/key_history.h).

#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "privacy/batch_reader.h"
#include "privacy/key_folder.h"
#include "privacy/key_history.h"
#include "test_support.h"

namespace passerelle::privacy {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::TempDir;

KeyTime at(const std::string& text) {
    const auto t = parseUtc(text);
    if (!t) throw std::invalid_argument("bad test time " + text);
    return *t;
}

std::string keyErrorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const KeyError& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected KeyError";
    return {};
}

void writeText(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::trunc);
    out << text;
}

std::string readText(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class KeyHistory : public ::testing::Test {
protected:
    TempDir tmp;
    fs::path dir = tmp / "keys";
    void SetUp() override { KeyFolder::generate(dir, "univ-test", at("2025-01-01T00:00:00Z")); }
    PublicKeys published() const { return readPublicKeysFile(dir / KeyFolder::kPublicFile); }
};

TEST_F(KeyHistory, AFreshFolderRecordsWhenItsKeysBecameCurrent) {
    const PublicKeys keys = published();
    ASSERT_TRUE(keys.validFrom);
    EXPECT_EQ(formatUtc(*keys.validFrom), "2025-01-01T00:00:00Z");
    EXPECT_TRUE(keys.retiredSign.empty());
    EXPECT_NE(readText(dir / KeyFolder::kPublicFile).find("valid_from = 2025-01-01T00:00:00Z\n"), std::string::npos);
}

TEST_F(KeyHistory, RotationsListEveryRetiredKeyWithItsInterval) {
    const PublicKeys first = published();
    KeyFolder::rotateSealingKeys(dir, at("2025-06-01T12:00:00Z"));
    const PublicKeys second = published();
    KeyFolder::rotateSealingKeys(dir, at("2026-01-01T00:00:00Z"));
    const PublicKeys third = readPublicKeysFile(dir / KeyFolder::kPublicFile);

    EXPECT_EQ(formatUtc(*third.validFrom), "2026-01-01T00:00:00Z");
    ASSERT_EQ(third.retiredSign.size(), 2u);
    ASSERT_EQ(third.retiredBox.size(), 2u);
    EXPECT_EQ(third.retiredSign[0], (KeyPeriod{first.sign.bytes, at("2025-01-01T00:00:00Z"), at("2025-06-01T12:00:00Z")}));
    EXPECT_EQ(third.retiredSign[1], (KeyPeriod{second.sign.bytes, at("2025-06-01T12:00:00Z"), at("2026-01-01T00:00:00Z")}));
    EXPECT_EQ(third.retiredBox[0].key, first.box.bytes);
    EXPECT_EQ(third.retiredBox[1].key, second.box.bytes);
    EXPECT_EQ(third.signHistory().back().key, third.sign.bytes);

    // The text round-trips, and the folder still loads with its secrets.
    writePublicKeysFile(tmp / "copy.keys", third);
    const PublicKeys copy = readPublicKeysFile(tmp / "copy.keys");
    EXPECT_EQ(copy.retiredSign, third.retiredSign);
    EXPECT_EQ(copy.retiredBox, third.retiredBox);
    EXPECT_EQ(copy.validFrom, third.validFrom);
    EXPECT_NO_THROW(KeyFolder::read(dir));
}

TEST_F(KeyHistory, AnOldFormatFileStillReadsItsKeysValidSinceAlways) {
    const PublicKeys keys = published();
    const fs::path old = tmp / "old.keys";
    writeText(old, "# written before key history\nparty = univ-test\nsign_public_key = " + toHex(keys.sign.bytes) +
                       "\nbox_public_key = " + toHex(keys.box.bytes) + "\n");
    const PublicKeys read = readPublicKeysFile(old);
    EXPECT_EQ(read.sign, keys.sign);
    EXPECT_FALSE(read.validFrom);
    EXPECT_TRUE(read.retiredSign.empty());
    EXPECT_TRUE(signKeyValidAt(read, keys.sign.id(), "1999-01-01T00:00:00Z").key);
}

TEST_F(KeyHistory, AFolderRotatedBeforeHistoryListsItsRetiredKeysWithUnknownIntervals) {
    const PublicKeys first = published();
    KeyFolder::rotateSealingKeys(dir, at("2025-06-01T00:00:00Z"));
    // What an older version left: the new public.keys without the history lines.
    const PublicKeys current = published();
    writePublicKeysFile(dir / KeyFolder::kPublicFile, PublicKeys(current.party, current.sign, current.box));
    const PublicKeys withFolders = KeyFolder::publicKeysWithHistory(dir);
    ASSERT_EQ(withFolders.retiredSign.size(), 1u);
    EXPECT_EQ(withFolders.retiredSign[0], (KeyPeriod{first.sign.bytes, std::nullopt, std::nullopt}));
    EXPECT_NE(publicKeysText(withFolders).find(first.sign.id() + " " + toHex(first.sign.bytes) + " unknown unknown"),
              std::string::npos);
    // Unknown is open: any date verifies after the fact, but live exchange no longer takes it.
    EXPECT_TRUE(signKeyValidAt(withFolders, first.sign.id(), "2030-01-01T00:00:00Z").key);
    const auto live = liveSignKey(withFolders, first.sign.id(), "2025-05-01T00:00:00Z", at("2025-06-01T00:00:01Z"));
    EXPECT_FALSE(live.key);
    EXPECT_NE(live.refusal.find("unrecorded"), std::string::npos) << live.refusal;
    // The next rotation writes them into the history.
    KeyFolder::rotateSealingKeys(dir, at("2025-07-01T00:00:00Z"));
    EXPECT_EQ(published().retiredSign.size(), 2u);
}

TEST_F(KeyHistory, TheKeyValidAtTheDocumentsDateIsPicked) {
    const PublicKeys first = published();
    KeyFolder::rotateSealingKeys(dir, at("2025-06-01T12:00:00Z"));
    const PublicKeys keys = published();
    const std::string oldId = first.sign.id();
    const std::string newId = keys.sign.id();

    EXPECT_EQ(signKeyValidAt(keys, oldId, "2025-03-01T00:00:00Z").key, first.sign);
    EXPECT_EQ(signKeyValidAt(keys, newId, "2025-07-01T00:00:00Z").key, keys.sign);
    // Within the clock skew of the rotation either key is taken.
    EXPECT_TRUE(signKeyValidAt(keys, oldId, "2025-06-01T12:04:00Z").key);
    EXPECT_TRUE(signKeyValidAt(keys, newId, "2025-06-01T11:56:00Z").key);

    const auto late = signKeyValidAt(keys, oldId, "2025-06-02T00:00:00Z");
    EXPECT_FALSE(late.key);
    EXPECT_NE(late.refusal.find("after key " + oldId + " of 'univ-test' was retired"), std::string::npos)
        << late.refusal;
    const auto early = signKeyValidAt(keys, newId, "2025-03-01T00:00:00Z");
    EXPECT_FALSE(early.key);
    EXPECT_NE(early.refusal.find("before key " + newId), std::string::npos) << early.refusal;
    const auto unknown = signKeyValidAt(keys, "0123456789abcdef", "2025-03-01T00:00:00Z");
    EXPECT_FALSE(unknown.key);
    EXPECT_NE(unknown.refusal.find("key 0123456789abcdef of 'univ-test'"), std::string::npos);
    EXPECT_FALSE(signKeyValidAt(keys, oldId, "yesterday").key);
}

TEST_F(KeyHistory, LiveExchangeTakesARetiredKeyForSevenDaysOnly) {
    const PublicKeys first = published();
    KeyFolder::rotateSealingKeys(dir, at("2025-06-01T12:00:00Z"));
    const PublicKeys keys = published();
    const std::string oldId = first.sign.id();
    // A document signed just before the rotation, arriving within the overlap.
    EXPECT_TRUE(liveSignKey(keys, oldId, "2025-06-01T11:59:00Z", at("2025-06-05T00:00:00Z")).key);
    const auto stale = liveSignKey(keys, oldId, "2025-06-01T11:59:00Z", at("2025-06-09T00:00:00Z"));
    EXPECT_FALSE(stale.key);
    EXPECT_NE(stale.refusal.find("more than 7 days ago"), std::string::npos) << stale.refusal;
    EXPECT_NE(stale.refusal.find(keys.sign.id()), std::string::npos) << stale.refusal;
    // The current key, of course, at any time after it became current.
    EXPECT_TRUE(liveSignKey(keys, keys.sign.id(), "2027-01-01T00:00:00Z", at("2027-01-01T00:00:00Z")).key);
}

// A manifest signed with the retired key (kept in previous/<box key id>/sign.key): verified
// when dated while the key was current, refused naming the party and key id when dated after.
TEST_F(KeyHistory, AManifestSignedByARetiredKeyAfterItsRetirementIsRefused) {
    const PublicKeys first = published();
    KeyFolder::rotateSealingKeys(dir, at("2025-06-01T12:00:00Z"));
    const PublicKeys keys = published();
    const auto secret = testing::readFile(dir / KeyFolder::kPreviousDir / first.box.id() / KeyFolder::kSignFile);
    ASSERT_EQ(secret.size(), static_cast<std::size_t>(crypto_sign_SECRETKEYBYTES));

    const auto signedManifest = [&](const std::string& createdAt) {
        Manifest m;
        m.batchId = "00112233445566778899aabbccddeeff";
        m.sender = "univ-test";
        m.recipient = "region-occitanie";
        m.purpose = "region-survey-contact";
        m.fields = {"pseudonym"};
        m.recordCount = 1;
        m.senderKeyId = first.sign.id();
        m.recipientKeyId = "fedcba9876543210";
        m.payloadDigest = "sha256:" + std::string(64, 'a');
        m.createdAt = createdAt;
        const std::string json = m.canonicalJson();
        std::vector<std::uint8_t> signature(crypto_sign_BYTES);
        crypto_sign_detached(signature.data(), nullptr, reinterpret_cast<const unsigned char*>(json.data()),
                             json.size(), secret.data());
        return std::pair{json, signature};
    };
    const SenderKeyLookup byHistory = [&](const ManifestSigner& signer) {
        const SignKeyLookup found = signKeyValidAt(keys, signer.keyId, signer.createdAt);
        if (!found.key) throw KeyError(found.refusal);
        return *found.key;
    };

    const auto [before, beforeSig] = signedManifest("2025-05-01T00:00:00Z");
    EXPECT_EQ(verifyManifest(before, beforeSig, byHistory).senderKeyId, first.sign.id());
    const auto after = signedManifest("2025-06-02T00:00:00Z");  // not a structured binding: captured below
    const std::string error = keyErrorOf([&] { (void)verifyManifest(after.first, after.second, byHistory); });
    EXPECT_NE(error.find("after key " + first.sign.id() + " of 'univ-test' was retired"), std::string::npos) << error;
}

TEST_F(KeyHistory, AForgedHistoryLineIsRefusedNamingFileAndLine) {
    KeyFolder::rotateSealingKeys(dir, at("2025-06-01T12:00:00Z"));
    const PublicKeys keys = published();
    const std::string real = toHex(keys.retiredSign[0].key);
    std::string forged = toHex(keys.sign.bytes);  // another key under the retired key's id
    const fs::path file = tmp / "forged.keys";
    std::string text = publicKeysText(keys);
    text.replace(text.find(keys.retiredSign[0].id() + " " + real), 17 + real.size(),
                 keys.retiredSign[0].id() + " " + forged.replace(0, 2, "00"));
    writeText(file, text);
    int line = 0;
    {
        std::istringstream lines(text);
        std::string l;
        for (int n = 1; std::getline(lines, l); ++n) {
            if (l.rfind("retired_sign_public_key", 0) == 0) line = n;
        }
    }
    const std::string error = keyErrorOf([&] { readPublicKeysFile(file); });
    EXPECT_NE(error.find(file.string() + ":" + std::to_string(line) + ": retired_sign_public_key names key id " +
                         keys.retiredSign[0].id()),
              std::string::npos)
        << error;
    EXPECT_NE(error.find("forged or damaged"), std::string::npos) << error;
}

TEST_F(KeyHistory, MalformedHistoryLinesAreRefused) {
    const PublicKeys keys = published();
    const std::string head = "party = univ-test\nsign_public_key = " + toHex(keys.sign.bytes) +
                             "\nbox_public_key = " + toHex(keys.box.bytes) + "\n";
    const fs::path file = tmp / "bad.keys";
    const auto refusal = [&](const std::string& extra) {
        writeText(file, head + extra);
        return keyErrorOf([&] { readPublicKeysFile(file); });
    };
    EXPECT_NE(refusal("valid_from = soon\n").find(file.string() + ":4: valid_from must be an RFC 3339"),
              std::string::npos);
    EXPECT_NE(refusal("retired_sign_public_key = abc\n").find(":4: retired_sign_public_key must be"),
              std::string::npos);
    const std::string current = keys.sign.id() + " " + toHex(keys.sign.bytes);
    EXPECT_NE(refusal("retired_sign_public_key = " + current + " unknown 2025-01-01T00:00:00Z\n")
                  .find(":4: retired_sign_public_key " + keys.sign.id() + " is the current key"),
              std::string::npos);
    const std::string other = keys.box.id() + " " + toHex(keys.box.bytes);  // any other 32 bytes will do
    EXPECT_NE(refusal("retired_sign_public_key = " + other + " 2025-02-01T00:00:00Z 2025-01-01T00:00:00Z\n")
                  .find("ends before it begins"),
              std::string::npos);
    EXPECT_NE(refusal("retired_sign_public_key = " + other + " unknown 2025-01-01T00:00:00Z\n" +
                      "retired_sign_public_key = " + other + " unknown 2025-01-01T00:00:00Z\n")
                  .find(":5: retired_sign_public_key " + keys.box.id() + " is given twice"),
              std::string::npos);
}

}  // namespace
}  // namespace passerelle::privacy
