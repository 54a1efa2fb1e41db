// keys rotate: retired keys are kept, still open older batches, stay 0600; the
// pseudonym key has an epoch; keys show reads no secret.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "batch_fixture.h"
#include "privacy/pseudonymiser.h"

namespace passerelle::privacy {
namespace {

namespace fs = std::filesystem;
using testing::keyErrorOf;
using testing::readFile;

unsigned modeOf(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777u;
}

class KeyRotation : public testing::BatchFixture {
protected:
    fs::path recipientDir() const { return tmp / "keys-region"; }
};

TEST_F(KeyRotation, OlderBatchesStillOpenAfterRotation) {
    const std::string oldBoxId = recipient.publicKeys().box.id();
    const auto before = writeBatch(50, "before");

    const auto r = KeyFolder::rotateSealingKeys(recipientDir());
    EXPECT_EQ(r.retiredBoxId, oldBoxId);
    EXPECT_NE(r.boxId, oldBoxId);
    recipient = PartyKeys::load(recipientDir());
    EXPECT_EQ(recipient.publicKeys().box.id(), r.boxId);
    ASSERT_EQ(recipient.retiredBoxKeyIds(), std::vector<std::string>{oldBoxId});

    EXPECT_EQ(problemOpening(before, recipient), std::nullopt) << "sealed to the retired key";
    const auto after = writeBatch(50, "after");  // sealed to the new key
    EXPECT_EQ(problemOpening(after, recipient), std::nullopt);
    BatchReader reader(before, recipient, lookup());
    EXPECT_EQ(reader.manifest().recipientKeyId, oldBoxId);
    std::vector<std::string> values;
    ASSERT_TRUE(reader.next(values));
    EXPECT_EQ(values, recordOf(0));

    // A second rotation keeps both older keys.
    KeyFolder::rotateSealingKeys(recipientDir());
    recipient = PartyKeys::load(recipientDir());
    EXPECT_EQ(recipient.retiredBoxKeyIds().size(), 2u);
    EXPECT_EQ(problemOpening(before, recipient), std::nullopt);
    EXPECT_EQ(problemOpening(after, recipient), std::nullopt);
}

TEST_F(KeyRotation, RetiredKeysAreKeptWithMode0600InA0700Folder) {
    const auto oldBox = readFile(recipientDir() / "box.key");
    const auto r = KeyFolder::rotateSealingKeys(recipientDir());
    const fs::path kept = recipientDir() / "previous" / r.retiredBoxId;
    EXPECT_EQ(modeOf(recipientDir() / "previous"), 0700u);
    EXPECT_EQ(modeOf(kept), 0700u);
    for (const char* name : {"sign.key", "box.key", "public.keys"}) {
        EXPECT_EQ(modeOf(kept / name), 0600u) << name;
    }
    EXPECT_EQ(readFile(kept / "box.key"), oldBox);
    EXPECT_NE(readFile(recipientDir() / "box.key"), oldBox);
    EXPECT_EQ(modeOf(recipientDir() / "box.key"), 0600u);
    EXPECT_EQ(modeOf(recipientDir() / "sign.key"), 0600u);
    EXPECT_FALSE(fs::exists(recipientDir() / "box.key.new"));
    EXPECT_EQ(readPublicKeysFile(recipientDir() / "public.keys").box.id(), r.boxId);
}

TEST_F(KeyRotation, LoadRefusesARetiredKeyReadableByOthersAndNamesIt) {
    const auto r = KeyFolder::rotateSealingKeys(recipientDir());
    for (const char* name : {"box.key", "sign.key"}) {
        const fs::path file = recipientDir() / "previous" / r.retiredBoxId / name;
        fs::permissions(file, fs::perms::group_read, fs::perm_options::add);
        const std::string msg = keyErrorOf([&] { (void)PartyKeys::load(recipientDir()); });
        EXPECT_NE(msg.find(file.string()), std::string::npos) << msg;
        EXPECT_NE(msg.find("chmod 600"), std::string::npos) << msg;
        fs::permissions(file, fs::perms::group_read, fs::perm_options::remove);
    }
    EXPECT_NO_THROW((void)PartyKeys::load(recipientDir()));
}

TEST_F(KeyRotation, BatchForAKeyWeNoLongerHoldIsWrongRecipient) {
    const auto before = writeBatch(5, "before");
    const auto r = KeyFolder::rotateSealingKeys(recipientDir());
    fs::remove_all(recipientDir() / "previous" / r.retiredBoxId);  // the old key is destroyed
    recipient = PartyKeys::load(recipientDir());
    std::string msg;
    EXPECT_EQ(problemOpening(before, recipient, &msg), BatchProblem::WrongRecipient) << msg;
    EXPECT_NE(msg.find(r.retiredBoxId), std::string::npos) << msg;
}

TEST_F(KeyRotation, InterruptedRotationIsResumed) {
    // A crash after the copy was staged but before it was renamed leaves "<id>.tmp".
    const std::string id = recipient.publicKeys().box.id();
    fs::create_directories(recipientDir() / "previous" / (id + ".tmp"));
    const auto r = KeyFolder::rotateSealingKeys(recipientDir());
    EXPECT_FALSE(fs::exists(recipientDir() / "previous" / (id + ".tmp")));
    recipient = PartyKeys::load(recipientDir());
    EXPECT_EQ(recipient.retiredBoxKeyIds(), std::vector<std::string>{r.retiredBoxId});
}

TEST_F(KeyRotation, PseudonymKeyRotationBumpsTheEpochAndKeepsTheOldKey) {
    const auto oldKey = readFile(recipientDir() / "pseudonym.key");
    const std::string oldBox = recipient.publicKeys().box.id();
    EXPECT_EQ(recipient.pseudonymEpoch(), 1u);
    const auto r = KeyFolder::rotatePseudonymKey(recipientDir());
    EXPECT_EQ(r.epoch, 2u);
    const fs::path kept = recipientDir() / "previous-pseudonym" / "1.key";
    EXPECT_EQ(readFile(kept), oldKey);
    EXPECT_EQ(modeOf(kept), 0600u);
    EXPECT_EQ(modeOf(recipientDir() / "previous-pseudonym"), 0700u);
    EXPECT_NE(readFile(recipientDir() / "pseudonym.key"), oldKey);
    const auto epochText = readFile(recipientDir() / "pseudonym.epoch");
    EXPECT_EQ(std::string(epochText.begin(), epochText.end()), "2\n");
    recipient = PartyKeys::load(recipientDir());
    EXPECT_EQ(recipient.pseudonymEpoch(), 2u);
    EXPECT_EQ(recipient.publicKeys().box.id(), oldBox) << "sealing keys are not touched";
    EXPECT_EQ(KeyFolder::rotatePseudonymKey(recipientDir()).epoch, 3u);
}

TEST_F(KeyRotation, InterruptedPseudonymRotationIsRefusedWithTheFix) {
    // The new key was installed but pseudonym.epoch not yet raised.
    fs::create_directories(recipientDir() / "previous-pseudonym");
    fs::permissions(recipientDir() / "previous-pseudonym", fs::perms::owner_all, fs::perm_options::replace);
    fs::copy_file(recipientDir() / "pseudonym.key", recipientDir() / "previous-pseudonym" / "1.key");
    auto other = readFile(recipientDir() / "pseudonym.key");
    other[0] ^= 1;
    testing::writeFile(recipientDir() / "pseudonym.key", other);
    const std::string msg = keyErrorOf([&] { (void)PartyKeys::load(recipientDir()); });
    EXPECT_NE(msg.find("pseudonym.epoch"), std::string::npos) << msg;
    EXPECT_NE(msg.find("write 2"), std::string::npos) << msg;
}

TEST_F(KeyRotation, RetiredPseudonymKeyReadableByOthersIsRefused) {
    KeyFolder::rotatePseudonymKey(recipientDir());
    const fs::path kept = recipientDir() / "previous-pseudonym" / "1.key";
    fs::permissions(kept, fs::perms::others_read, fs::perm_options::add);
    const std::string msg = keyErrorOf([&] { (void)PartyKeys::load(recipientDir()); });
    EXPECT_NE(msg.find(kept.string()), std::string::npos) << msg;
}

TEST_F(KeyRotation, RetiredPseudonymKeysAreLoadedAndSurviveAMove) {
    std::array<std::uint8_t, 32> before{};
    recipient.deriveSubkey(pseudonymDomainId("d"), "pslpseud", before);
    KeyFolder::rotatePseudonymKey(recipientDir());
    PartyKeys loaded = PartyKeys::load(recipientDir());
    const PartyKeys moved = std::move(loaded);
    EXPECT_EQ(moved.pseudonymEpochs(), (std::vector<std::uint32_t>{2, 1}));
    std::array<std::uint8_t, 32> retired{};
    moved.deriveSubkey(1, pseudonymDomainId("d"), "pslpseud", retired);
    EXPECT_EQ(retired, before) << "epoch 1 is the key retired by the rotation";
    std::array<std::uint8_t, 32> current{};
    moved.deriveSubkey(pseudonymDomainId("d"), "pslpseud", current);
    EXPECT_NE(current, before);
}

TEST_F(KeyRotation, DamagedOrTooNewRetiredPseudonymKeyIsRefusedNamingIt) {
    KeyFolder::rotatePseudonymKey(recipientDir());
    const fs::path kept = recipientDir() / "previous-pseudonym" / "1.key";
    auto bytes = readFile(kept);
    bytes.pop_back();
    testing::writeFile(kept, bytes);
    std::string msg = keyErrorOf([&] { (void)PartyKeys::load(recipientDir()); });
    EXPECT_NE(msg.find(kept.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("expected 32 bytes"), std::string::npos) << msg;

    fs::rename(kept, recipientDir() / "previous-pseudonym" / "5.key");  // newer than the current epoch 2
    msg = keyErrorOf([&] { (void)PartyKeys::load(recipientDir()); });
    EXPECT_NE(msg.find("5.key"), std::string::npos) << msg;
    EXPECT_NE(msg.find("newer than the current epoch 2"), std::string::npos) << msg;
}

TEST_F(KeyRotation, BadEpochFileIsRefusedNamingIt) {
    testing::writeFile(recipientDir() / "pseudonym.epoch", {'0', '\n'});
    const std::string msg = keyErrorOf([&] { (void)PartyKeys::load(recipientDir()); });
    EXPECT_NE(msg.find("pseudonym.epoch"), std::string::npos) << msg;
    fs::remove(recipientDir() / "pseudonym.epoch");
    EXPECT_EQ(PartyKeys::load(recipientDir()).pseudonymEpoch(), 1u) << "absent means 1 (older folders)";
}

TEST_F(KeyRotation, InspectShowsIdsEpochsAndModesNeverSecrets) {
    const auto r1 = KeyFolder::rotateSealingKeys(recipientDir());
    KeyFolder::rotatePseudonymKey(recipientDir());
    const KeyFolderInfo info = KeyFolder::inspect(recipientDir());
    EXPECT_EQ(info.party, "region");
    EXPECT_EQ(info.boxId, r1.boxId);
    EXPECT_EQ(info.signId, r1.signId);
    ASSERT_EQ(info.previous.size(), 1u);
    EXPECT_EQ(info.previous[0].boxId, r1.retiredBoxId);
    EXPECT_EQ(info.previous[0].signId, r1.retiredSignId);
    EXPECT_EQ(info.pseudonymEpoch, 2u);
    EXPECT_EQ(info.previousPseudonymEpochs, std::vector<std::uint32_t>{1});
    std::vector<std::string> secretFiles;
    for (const auto& f : info.files) {
        if (f.secret) {
            secretFiles.push_back(f.path.string());
            EXPECT_EQ(f.mode, 0600u) << f.path;
        }
    }
    const std::string kept = "previous/" + r1.retiredBoxId + "/box.key";
    EXPECT_NE(std::find(secretFiles.begin(), secretFiles.end(), kept), secretFiles.end());
    EXPECT_NE(std::find(secretFiles.begin(), secretFiles.end(), "previous-pseudonym/1.key"),
              secretFiles.end());
}

}  // namespace
}  // namespace passerelle::privacy
