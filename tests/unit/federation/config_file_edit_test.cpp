// Appending a [peer.*] section to a configuration file: every byte kept, atomically,
// and nothing written when the section exists or the result would not load.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "federation/config_file_edit.h"
#include "federation/enrolment_request.h"
#include "federation_test_support.h"

namespace passerelle::federation {
namespace {

using testing::readText;
using testing::TempDir;
using testing::writeText;

const std::string kOriginal =
    "; a comment, kept\r\n[gateway]\nrole = region   \n\n[peer.unimes]\npublic_keys = unimes.keys\n"
    "; trailing, no newline";

void accept(const std::filesystem::path&) {}

TEST(ConfigFileEdit, AppendsTheSectionAndKeepsEveryByteBefore) {
    TempDir dir;
    const auto file = dir.path() / "region.ini";
    writeText(file, kOriginal);
    ::chmod(file.c_str(), 0640);
    appendSection(file, "peer.univ-montpellier", "public_keys = m.keys\naccept_purposes = a, b\n", accept);
    const std::string text = readText(file);
    ASSERT_TRUE(text.starts_with(kOriginal)) << text;
    EXPECT_EQ(text.substr(kOriginal.size()),
              "\n\n[peer.univ-montpellier]\npublic_keys = m.keys\naccept_purposes = a, b\n");
    EXPECT_EQ(testing::modeOf(file), 0640u);
    EXPECT_FALSE(std::filesystem::exists(file.string() + ".enrol.tmp"));
}

TEST(ConfigFileEdit, RefusesASectionThatExistsAndChangesNothing) {
    TempDir dir;
    const auto file = dir.path() / "region.ini";
    writeText(file, kOriginal);
    try {
        appendSection(file, "peer.unimes", "public_keys = x\n", accept);
        FAIL() << "a second [peer.unimes] was appended";
    } catch (const EnrolmentError& e) {
        EXPECT_NE(std::string(e.what()).find("already has a [peer.unimes] section"), std::string::npos) << e.what();
    }
    EXPECT_EQ(readText(file), kOriginal);
}

TEST(ConfigFileEdit, ATextThatDoesNotPassTheCheckIsNeverRenamedOverTheFile) {
    TempDir dir;
    const auto file = dir.path() / "region.ini";
    writeText(file, kOriginal);
    std::string checked;
    try {
        appendSection(file, "peer.univ-montpellier", "public_keys = m.keys\n", [&](const std::filesystem::path& f) {
            checked = readText(f);
            throw ConfigError("key 'peer.univ-montpellier.accept_purposes': no such purpose");
        });
        FAIL() << "appended despite the check";
    } catch (const EnrolmentError& e) {
        EXPECT_NE(std::string(e.what()).find("no such purpose"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("nothing was changed"), std::string::npos) << e.what();
    }
    EXPECT_NE(checked.find("[peer.univ-montpellier]"), std::string::npos) << "the check saw the new text";
    EXPECT_EQ(readText(file), kOriginal);
    EXPECT_FALSE(std::filesystem::exists(file.string() + ".enrol.tmp"));
}

TEST(ConfigFileEdit, ReplacingASectionKeepsEveryOtherByteAndWhatIntroducesTheNextSection) {
    const std::string before = "; head\r\n[gateway]\nrole = region\n\n[peer.unimes]\n; Nîmes\npublic_keys = old\n"
                               "accept_purposes = a\n\n; the sink, next\n[sink]\nplugin = sink.csv\n";
    EXPECT_EQ(withSectionReplaced(before, "peer.unimes", "public_keys = new\n"),
              "; head\r\n[gateway]\nrole = region\n\n[peer.unimes]\npublic_keys = new\n"
              "\n; the sink, next\n[sink]\nplugin = sink.csv\n");
    EXPECT_EQ(withSectionReplaced("[a]\nx = 1\n[peer.unimes]\nold = 1\n\n", "peer.unimes", "new = 2\n"),
              "[a]\nx = 1\n[peer.unimes]\nnew = 2\n");
}

TEST(ConfigFileEdit, ReplacingASectionThatIsNotThereChangesNothing) {
    TempDir dir;
    const auto file = dir.path() / "region.ini";
    writeText(file, kOriginal);
    EXPECT_THROW(replaceSection(file, "peer.univ-montpellier", "public_keys = x\n", accept), EnrolmentError);
    EXPECT_EQ(readText(file), kOriginal);
    replaceSection(file, "peer.unimes", "public_keys = other.keys\n", accept);
    EXPECT_EQ(readText(file), "; a comment, kept\r\n[gateway]\nrole = region   \n\n[peer.unimes]\n"
                              "public_keys = other.keys\n");
}

TEST(ConfigFileEdit, FindsASectionHeaderOnlyOnItsOwnLine) {
    EXPECT_TRUE(hasSection("a = 1\n  [peer.unimes]  \r\n", "peer.unimes"));
    EXPECT_FALSE(hasSection("; [peer.unimes]\nname = [peer.unimes]\n", "peer.unimes"));
    EXPECT_FALSE(hasSection("[peer.unimes-bis]\n", "peer.unimes"));
}

}  // namespace
}  // namespace passerelle::federation
