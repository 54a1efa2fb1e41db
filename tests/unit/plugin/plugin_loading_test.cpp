// How the host loads plugins and refuses the ones it cannot trust.

#include "plugin_test_support.h"

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

}  // namespace
}  // namespace passerelle::plugin::test
