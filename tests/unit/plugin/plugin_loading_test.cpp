// How the host loads plugins and refuses the ones it cannot trust.

#include "plugin_test_support.h"

#include <unistd.h>

namespace passerelle::plugin::test {
namespace {

std::string loadError(const std::filesystem::path& dir, std::string_view name) {
    try {
        SourcePlugin::load(dir, name);
    } catch (const PluginError& e) {
        return e.what();
    }
    return "(loaded)";
}

TEST(PluginLoading, LoadsEachPluginOnce) {
    auto first = SourcePlugin::load(pluginDir(), "source.csv");
    auto second = SourcePlugin::load(pluginDir(), "source.csv");
    EXPECT_EQ(first.get(), second.get());
    EXPECT_EQ(first->name(), "source.csv");
    EXPECT_EQ(first->file().filename(), "source.csv.so");
    auto sink = SinkPlugin::load(pluginDir(), "sink.csv");
    EXPECT_EQ(sink->name(), "sink.csv");
}

TEST(PluginLoading, RefusesAnotherAbiVersionNamingFileAndBothVersions) {
    const std::string message = loadError(testPluginDir(), "source.bad");
    EXPECT_NE(message.find("source.bad.so"), std::string::npos) << message;
    EXPECT_NE(message.find("ABI 99"), std::string::npos) << message;
    EXPECT_NE(message.find("ABI 1"), std::string::npos) << message;
}

TEST(PluginLoading, MissingPluginIsNamed) {
    const std::string message = loadError(pluginDir(), "source.nothere");
    EXPECT_NE(message.find("source.nothere.so"), std::string::npos) << message;
    EXPECT_NE(message.find("not found"), std::string::npos) << message;
}

TEST(PluginLoading, RefusesNamesThatCouldLeaveThePluginFolder) {
    for (std::string_view name : {"../source.csv", "/etc/passwd", "Source.CSV", "", ".hidden", "a/b"}) {
        const std::string message = loadError(pluginDir(), name);
        EXPECT_NE(message.find("is not valid"), std::string::npos) << name << ": " << message;
    }
}

TEST(PluginLoading, RefusesALibraryWithoutTheEntryPoint) {
    const std::string message = loadError(pluginDir(), "sink.csv");
    EXPECT_NE(message.find("passerelle_source_v1"), std::string::npos) << message;
    EXPECT_NE(message.find("not a source plugin"), std::string::npos) << message;
}

TEST(PluginLoading, RefusesAPluginWhoseNameDiffersFromItsFile) {
    TempDir dir;
    std::filesystem::copy_file(pluginDir() / "source.csv.so", dir / "source.other.so");
    const std::string message = loadError(dir.path(), "source.other");
    EXPECT_NE(message.find("calls itself 'source.csv'"), std::string::npos) << message;
}

TEST(PluginLoading, RefusesAFileThatIsNotALibrary) {
    TempDir dir;
    writeFile(dir / "source.junk.so", "not an ELF file");
    const std::string message = loadError(dir.path(), "source.junk");
    EXPECT_NE(message.find("cannot load plugin"), std::string::npos) << message;
    EXPECT_NE(message.find("source.junk.so"), std::string::npos) << message;
}

// A copy of source.csv.so in `dir`, as an administrator would install it (0755).
std::filesystem::path installSourceCsv(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    const auto file = dir / "source.csv.so";
    std::filesystem::copy_file(pluginDir() / "source.csv.so", file);
    std::filesystem::permissions(file, std::filesystem::perms(0755));
    return file;
}

TEST(PluginLoading, RefusesAPluginFileOthersCanWriteNamingItAndTheFix) {
    TempDir dir;
    const auto file = installSourceCsv(dir.path());
    std::filesystem::permissions(file, std::filesystem::perms(0775));
    const std::string message = loadError(dir.path(), "source.csv");
    EXPECT_NE(message.find("plugin file " + file.string() + " is writable by group or others (mode 0775)"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("run chmod go-w " + file.string()), std::string::npos) << message;

    std::filesystem::permissions(file, std::filesystem::perms(0755));
    EXPECT_EQ(loadError(dir.path(), "source.csv"), "(loaded)") << "the same file, once fixed, loads";
}

TEST(PluginLoading, RefusesAPluginFolderOthersCanWriteNamingTheKey) {
    TempDir dir;
    const auto folder = dir / "plugins";
    installSourceCsv(folder);
    std::filesystem::permissions(folder, std::filesystem::perms(0777));
    const std::string message = loadError(folder, "source.csv");
    EXPECT_NE(message.find("plugin folder (gateway.plugins_dir) " + folder.string() +
                           " is writable by group or others (mode 0777)"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("run chmod go-w " + folder.string()), std::string::npos) << message;

    // A folder above that others may write (and whose sticky bit does not protect
    // what is in it) would let them rename the plugin folder and put theirs there.
    std::filesystem::permissions(folder, std::filesystem::perms(0755));
    std::filesystem::permissions(dir.path(), std::filesystem::perms(0777));
    const std::string above = loadError(folder, "source.csv");
    EXPECT_NE(above.find("folder above the plugin folder " + dir.path().string()), std::string::npos) << above;
    std::filesystem::permissions(dir.path(), std::filesystem::perms(0700));
    EXPECT_EQ(loadError(folder, "source.csv"), "(loaded)");
}

TEST(PluginLoading, RefusesAPluginFileOfAnotherUser) {
    if (::geteuid() != 0) GTEST_SKIP() << "giving a file to another user needs root";
    TempDir dir;
    const auto file = installSourceCsv(dir.path());
    ASSERT_EQ(::chown(file.c_str(), 4242, 4242), 0);
    const std::string message = loadError(dir.path(), "source.csv");
    EXPECT_NE(message.find("plugin file " + file.string() + " belongs to user id 4242"), std::string::npos)
        << message;
    EXPECT_NE(message.find("chown root " + file.string()), std::string::npos) << message;
}

}  // namespace
}  // namespace passerelle::plugin::test
