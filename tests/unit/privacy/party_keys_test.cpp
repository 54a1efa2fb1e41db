#include "privacy/party_keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "common/encoding.h"
#include "common/errors.h"
#include "test_support.h"

namespace passerelle::privacy {
namespace {

using testing::keyErrorOf;
using testing::TempDir;

unsigned modeOf(const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777u;
}

TEST(PartyKeys, GenerateWritesSecretsWithMode0600AndFolder0700) {
    TempDir tmp;
    const auto dir = tmp / "keys";
    KeyFolder::generate(dir, "region");
    EXPECT_EQ(modeOf(dir), 0700u);
    for (const char* name : {"sign.key", "box.key", "pseudonym.key"}) {
        EXPECT_EQ(modeOf(dir / name), 0600u) << name;
    }
    EXPECT_EQ(std::filesystem::file_size(dir / "sign.key"), 64u);
    EXPECT_EQ(std::filesystem::file_size(dir / "box.key"), 32u);
    EXPECT_EQ(std::filesystem::file_size(dir / "pseudonym.key"), 32u);
    EXPECT_EQ(modeOf(dir / "public.keys") & 0600u, 0600u);

    const PartyKeys keys = PartyKeys::load(dir);
    EXPECT_EQ(keys.publicKeys().party, "region");
    EXPECT_EQ(keys.publicKeys().sign.id().size(), 16u);
}

TEST(PartyKeys, GenerateRefusesToOverwriteAndNamesTheFile) {
    TempDir tmp;
    const auto dir = tmp / "keys";
    KeyFolder::generate(dir, "region");
    const auto before = testing::readFile(dir / "sign.key");
    const std::string msg = keyErrorOf([&] { KeyFolder::generate(dir, "region"); });
    EXPECT_NE(msg.find("sign.key"), std::string::npos) << msg;
    EXPECT_EQ(testing::readFile(dir / "sign.key"), before);

    // Even a lone leftover key blocks generation.
    const auto dir2 = tmp / "keys2";
    std::filesystem::create_directories(dir2);
    testing::writeFile(dir2 / "pseudonym.key", std::vector<std::uint8_t>(32, 1));
    const std::string msg2 = keyErrorOf([&] { KeyFolder::generate(dir2, "region"); });
    EXPECT_NE(msg2.find("pseudonym.key"), std::string::npos) << msg2;
    EXPECT_FALSE(std::filesystem::exists(dir2 / "sign.key"));
}

TEST(PartyKeys, LoadRefusesAKeyReadableByOthersNamingFileAndMode) {
    TempDir tmp;
    const auto dir = tmp / "keys";
    KeyFolder::generate(dir, "region");
    ASSERT_EQ(::chmod((dir / "sign.key").c_str(), 0644), 0);
    const std::string msg = keyErrorOf([&] { (void)PartyKeys::load(dir); });
    EXPECT_NE(msg.find((dir / "sign.key").string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("0644"), std::string::npos) << msg;
    EXPECT_NE(msg.find("chmod 600"), std::string::npos) << msg;

    ASSERT_EQ(::chmod((dir / "sign.key").c_str(), 0600), 0);
    ASSERT_EQ(::chmod((dir / "box.key").c_str(), 0640), 0);
    const std::string msg2 = keyErrorOf([&] { (void)PartyKeys::load(dir); });
    EXPECT_NE(msg2.find("box.key"), std::string::npos) << msg2;
}

TEST(PartyKeys, LoadRefusesMissingOrWrongSizeKeys) {
    TempDir tmp;
    const auto dir = tmp / "keys";
    KeyFolder::generate(dir, "region");
    std::filesystem::remove(dir / "pseudonym.key");
    EXPECT_NE(keyErrorOf([&] { (void)PartyKeys::load(dir); }).find("pseudonym.key"), std::string::npos);

    const auto dir2 = tmp / "keys2";
    KeyFolder::generate(dir2, "region");
    std::filesystem::resize_file(dir2 / "box.key", 31);
    const std::string msg = keyErrorOf([&] { (void)PartyKeys::load(dir2); });
    EXPECT_NE(msg.find("box.key"), std::string::npos) << msg;
    EXPECT_NE(msg.find("31"), std::string::npos) << msg;
}

TEST(PartyKeys, LoadRefusesPublicFileThatDoesNotMatchSecrets) {
    TempDir tmp;
    KeyFolder::generate(tmp / "a", "a");
    KeyFolder::generate(tmp / "b", "b");
    std::filesystem::copy_file(tmp / "b" / "public.keys", tmp / "a" / "public.keys",
                               std::filesystem::copy_options::overwrite_existing);
    const std::string msg = keyErrorOf([&] { (void)PartyKeys::load(tmp / "a"); });
    EXPECT_NE(msg.find("does not match"), std::string::npos) << msg;
}

TEST(PartyKeys, PublicKeysFileRoundTrip) {
    TempDir tmp;
    const PartyKeys keys = testing::makeParty(tmp, "france-travail");
    const auto path = tmp / "peer.keys";
    writePublicKeysFile(path, keys.publicKeys());
    const PublicKeys back = readPublicKeysFile(path);
    EXPECT_EQ(back.party, "france-travail");
    EXPECT_EQ(back.sign, keys.publicKeys().sign);
    EXPECT_EQ(back.box, keys.publicKeys().box);
}

TEST(PartyKeys, PublicKeysFileErrorsNameFileAndKey) {
    TempDir tmp;
    const auto path = tmp / "peer.keys";
    {
        std::ofstream out(path);
        out << "# comment\nparty = region  # trailing comment\nsign_public_key = abcd\n";
    }
    std::string msg = keyErrorOf([&] { (void)readPublicKeysFile(path); });
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("sign_public_key"), std::string::npos) << msg;

    {
        std::ofstream out(path);
        out << "party = region\nsign_public_key = " << std::string(64, 'a') << "\n";
    }
    msg = keyErrorOf([&] { (void)readPublicKeysFile(path); });
    EXPECT_NE(msg.find("missing box_public_key"), std::string::npos) << msg;

    {
        std::ofstream out(path);
        out << "party = region\ncolour = blue\n";
    }
    msg = keyErrorOf([&] { (void)readPublicKeysFile(path); });
    EXPECT_NE(msg.find(":2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("colour"), std::string::npos) << msg;
}

TEST(PartyKeys, SignVerifyAndKeyIds) {
    TempDir tmp;
    const PartyKeys a = testing::makeParty(tmp, "a");
    const PartyKeys b = testing::makeParty(tmp, "b");
    const std::string msg = "manifest bytes";
    const auto sig = a.sign(asBytes(msg));
    EXPECT_TRUE(verifySignature(a.publicKeys().sign, asBytes(msg), sig));
    EXPECT_FALSE(verifySignature(b.publicKeys().sign, asBytes(msg), sig));
    EXPECT_FALSE(verifySignature(a.publicKeys().sign, asBytes("manifest bytez"), sig));
    EXPECT_FALSE(verifySignature(a.publicKeys().sign, asBytes(msg), std::span(sig).first(63)));
    EXPECT_NE(a.publicKeys().sign.id(), b.publicKeys().sign.id());
    EXPECT_EQ(a.publicKeys().box.id(), keyIdOf(a.publicKeys().box.bytes));
}

TEST(PartyKeys, MovedKeysStillWork) {
    TempDir tmp;
    PartyKeys a = testing::makeParty(tmp, "a");
    PartyKeys moved = std::move(a);
    const auto sig = moved.sign(asBytes("x"));
    EXPECT_TRUE(verifySignature(moved.publicKeys().sign, asBytes("x"), sig));
}

}  // namespace
}  // namespace passerelle::privacy
