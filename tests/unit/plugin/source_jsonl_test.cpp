// source.jsonl (the plugin guide's example), loaded from the built plugin and
// fed synthetic JSON Lines files.

#include <dlfcn.h>

#include "plugin_test_support.h"

namespace passerelle::plugin::test {
namespace {

std::shared_ptr<const SourcePlugin> jsonlSource() { return SourcePlugin::load(pluginDir(), "source.jsonl"); }

const char* const kColumns = "id, last_name,first_names , email,age,active,note";

Drained drainJsonl(const TempDir& dir, std::string_view bytes, const char* columns = kColumns) {
    const auto file = dir / "export.jsonl";
    writeFile(file, bytes);
    return drainSource(*jsonlSource(), {{"path", file.string()}, {"columns", columns}});
}

void expectNoValueIn(const Drained& d, std::initializer_list<std::string_view> values) {
    for (const RowError& e : d.errors) {
        for (std::string_view v : values)
            EXPECT_EQ(e.message.find(v), std::string::npos) << "line " << e.line << ": " << e.message;
    }
}

TEST(SourceJsonl, ReadsTheWantedMembersInTheOrderOfTheColumnsSetting) {
    TempDir dir;
    const Drained d = drainJsonl(
        dir,
        "\xEF\xBB\xBF{\"email\": \"a.trainee@example.org\", \"id\": \"E001\", \"last_name\": "
        "\"Lef\\u00e8vre\","
        " \"first_names\": \"Zo\xC3\xA9 Anne\", \"age\": 31, \"active\": true, \"note\": null}\r\n"
        "\n"
        "  {\"id\":\"E002\",\"first_names\":\"Bob\",\"age\":-3.5e2,\"active\":false,"
        "\"note\":\"say \\\"hi\\\"\\n\\t\\/ "
        "\\ud83d\\ude00\",\"unused\":{\"deep\":[1,{\"x\":null}],\"e\":\"\"}}  \n"
        "{\"id\":\"E003\",\"age\":0,\"extra\":[],\"last_name\":\"\",\"note\":\"\\\\\\b\\f\\r\\u0041\"}");
    EXPECT_EQ(d.columns, (Row{"id", "last_name", "first_names", "email", "age", "active", "note"}));
    ASSERT_TRUE(d.errors.empty()) << d.errors[0].message;
    ASSERT_EQ(d.rows.size(), 3u);
    EXPECT_EQ(d.rows[0],
              (Row{"E001", "Lef\xC3\xA8vre", "Zo\xC3\xA9 Anne", "a.trainee@example.org", "31", "true", ""}));
    EXPECT_EQ(d.rows[1], (Row{"E002", "", "Bob", "", "-3.5e2", "false", "say \"hi\"\n\t/ \xF0\x9F\x98\x80"}));
    EXPECT_EQ(d.rows[2], (Row{"E003", "", "", "", "0", "", "\\\b\f\rA"}));
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{1, 3, 4}));  // line 2 is blank
}

TEST(SourceJsonl, RowErrorsNameLineAndColumnButNeverTheValue) {
    TempDir dir;
    const Drained d =
        drainJsonl(dir,
                   "{\"id\":\"E001\",\"last_name\":\"Alpha\"}\n"
                   "{\"id\":\"E002\",\"email\":{\"home\":\"secret.home@example.org\"}}\n"
                   "{\"id\":\"E003\",\"first_names\":[\"Secretname\"]}\n"
                   "{\"id\":\"E004\",\"last_name\":\"Secretlast\"\n"
                   "{\"id\":\"E005\",\"last_name\":\"Secret\xE9last\"}\n"
                   "[\"E006\",\"Secretlast\"]\n"
                   "{\"id\":\"E007\",\"last_name\":\"Secretlast\",\"last_name\":\"Secretlast\"}\n"
                   "{\"id\":\"E008\"} {\"id\":\"Secretid\"}\n"
                   "{\"id\":\"E009\",\"note\":\"Secret\\qnote\"}\n"
                   "{\"id\":\"E010\",\"age\":01}\n"
                   "{\"id\":\"E011\",\"note\":\"Secret\tnote\"}\n"
                   "{\"id\":\"E012\",\"last_name\":\"Omega\"}\n");
    ASSERT_EQ(d.errors.size(), 10u);
    const std::vector<std::uint64_t> lines = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    const std::vector<std::uint64_t> columns = {4, 3, 0, 0, 0, 2, 0, 7, 5, 7};
    for (std::size_t i = 0; i < d.errors.size(); ++i) {
        EXPECT_EQ(d.errors[i].line, lines[i]) << d.errors[i].message;
        EXPECT_EQ(d.errors[i].column, columns[i]) << d.errors[i].message;
        const std::string where = "line " + std::to_string(lines[i]) +
                                  (columns[i] ? ", column " + std::to_string(columns[i]) : std::string(":"));
        EXPECT_EQ(d.errors[i].message.rfind(where, 0), 0u) << d.errors[i].message;
    }
    EXPECT_NE(d.errors[0].message.find("column 4 (email): the value is a JSON object"), std::string::npos)
        << d.errors[0].message;
    EXPECT_NE(d.errors[1].message.find("(first_names): the value is a JSON array"), std::string::npos);
    EXPECT_NE(d.errors[3].message.find("not valid UTF-8"), std::string::npos) << d.errors[3].message;
    EXPECT_NE(d.errors[4].message.find("not a JSON object"), std::string::npos) << d.errors[4].message;
    EXPECT_NE(d.errors[5].message.find("twice"), std::string::npos) << d.errors[5].message;
    expectNoValueIn(d, {"Secret", "secret", "E00", "home@"});
    EXPECT_EQ(d.rows, (std::vector<Row>{{"E001", "Alpha", "", "", "", "", ""},
                                        {"E012", "Omega", "", "", "", "", ""}}));
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{1, 12}));
}

TEST(SourceJsonl, NestingInAMemberNobodyWantsIsCheckedToADepth) {
    TempDir dir;
    const std::string deep = std::string(64, '[') + std::string(64, ']');
    const std::string tooDeep = std::string(65, '[') + std::string(65, ']');
    const Drained d = drainJsonl(dir, "{\"id\":\"E1\",\"x\":" + deep + "}\n{\"id\":\"E2\",\"x\":" + tooDeep +
                                          "}\n{\"id\":\"E3\",\"x\":[1,}\n");
    ASSERT_EQ(d.errors.size(), 2u);
    EXPECT_EQ(d.errors[0].line, 2u);
    EXPECT_NE(d.errors[0].message.find("64 levels"), std::string::npos) << d.errors[0].message;
    EXPECT_EQ(d.errors[1].line, 3u);
    ASSERT_EQ(d.rows.size(), 1u);
    EXPECT_EQ(d.rows[0][0], "E1");
}

TEST(SourceJsonl, ALineOverOneMebibyteIsARowErrorAndTheNextLineIsRead) {
    TempDir dir;
    const std::string nearLimit((1u << 20) - 64, 'n');
    const std::string overLimit(3u << 20, 'o');  // several read buffers: skipped, not held
    const Drained d =
        drainJsonl(dir, "{\"id\":\"E1\",\"note\":\"" + nearLimit + "\"}\n{\"id\":\"E2\",\"note\":\"" +
                            overLimit + "\"}\n{\"id\":\"E3\"}\n");
    ASSERT_EQ(d.errors.size(), 1u);
    EXPECT_EQ(d.errors[0].line, 2u);
    EXPECT_EQ(d.errors[0].column, 0u);
    EXPECT_NE(d.errors[0].message.find("line 2 is longer than 1048576 bytes"), std::string::npos)
        << d.errors[0].message;
    ASSERT_EQ(d.rows.size(), 2u);
    EXPECT_EQ(d.rows[0][6], nearLimit);
    EXPECT_EQ(d.rows[1][0], "E3");
    EXPECT_EQ(d.lines, (std::vector<std::uint64_t>{1, 3}));
}

TEST(SourceJsonl, StreamsLinesAcrossReadBuffersKeepingTheirNumbers) {
    TempDir dir;
    std::string bytes;
    const int rows = 40000;  // ~2.5 MiB: many refills of the 64 KiB read buffer
    for (int i = 0; i < rows; ++i)
        bytes += "{\"id\":\"E" + std::to_string(i) + "\",\"note\":\"" + std::string(i % 97, 'z') + "\"}\r\n";
    const Drained d = drainJsonl(dir, bytes);
    ASSERT_TRUE(d.errors.empty()) << d.errors[0].message;
    ASSERT_EQ(d.rows.size(), static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; i += 991) {
        EXPECT_EQ(d.rows[i][0], "E" + std::to_string(i));
        EXPECT_EQ(d.rows[i][6], std::string(i % 97, 'z'));
        EXPECT_EQ(d.lines[i], static_cast<std::uint64_t>(i + 1));
    }
}

TEST(SourceJsonl, AnEmptyFileHasTheConfiguredColumnsAndNoRows) {
    TempDir dir;
    for (const char* bytes : {"", "\n\n", "\xEF\xBB\xBF", "  \r\n"}) {
        const Drained d = drainJsonl(dir, bytes);
        EXPECT_EQ(d.columns.size(), 7u);
        EXPECT_TRUE(d.rows.empty());
        EXPECT_TRUE(d.errors.empty());
    }
}

TEST(SourceJsonl, AMissingFileIsRefusedAtOpenNamingIt) {
    TempDir dir;
    const std::string missing = (dir / "nowhere.jsonl").string();
    const std::string message = openError(*jsonlSource(), {{"path", missing}, {"columns", "id"}});
    EXPECT_NE(message.find("source.jsonl: cannot open the source: cannot open " + missing), std::string::npos)
        << message;
    EXPECT_NE(message.find("No such file"), std::string::npos) << message;
}

TEST(SourceJsonl, SettingsAreCheckedByName) {
    TempDir dir;
    writeFile(dir / "x.jsonl", "{}\n");
    const std::string path = (dir / "x.jsonl").string();
    const auto& plugin = *jsonlSource();
    EXPECT_NE(openError(plugin, {{"path", path}, {"columns", "id"}, {"colums", "id"}})
                  .find("unknown setting 'colums'"),
              std::string::npos);
    EXPECT_NE(openError(plugin, {{"path", path}}).find("setting 'columns' is required"), std::string::npos);
    EXPECT_NE(openError(plugin, {{"columns", "id"}}).find("setting 'path' is required"), std::string::npos);
    EXPECT_NE(openError(plugin, {{"path", path}, {"columns", "id,,email"}}).find("empty name"),
              std::string::npos);
    EXPECT_NE(openError(plugin, {{"path", path}, {"columns", "id, email,id"}}).find("names 'id' twice"),
              std::string::npos);
    EXPECT_EQ(openError(plugin, {{"path", path}, {"columns", "id"}}), "(opened)");
}

TEST(SourceJsonl, ExportsTheAbiVersionTheHostChecksAndItsName) {
    void* library = ::dlopen((pluginDir() / "source.jsonl.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(library, nullptr) << ::dlerror();
    auto entry = reinterpret_cast<psl_source_entry_fn>(::dlsym(library, PASSERELLE_SOURCE_ENTRY));
    ASSERT_NE(entry, nullptr);
    const psl_source_v1* api = entry();
    ASSERT_NE(api, nullptr);
    EXPECT_EQ(api->abi_version, PASSERELLE_PLUGIN_ABI_VERSION);
    EXPECT_STREQ(api->name, "source.jsonl");
    EXPECT_TRUE(api->open && api->columns && api->next_row && api->close);
    EXPECT_EQ(::dlsym(library, PASSERELLE_SINK_ENTRY), nullptr) << "a source only";

    psl_error err{};
    const psl_setting noPath[] = {{"columns", "id"}};
    EXPECT_EQ(api->open(noPath, 1, nullptr, &err), nullptr);
    EXPECT_STREQ(err.message, "setting 'path' is required: the JSON Lines file to read");
    ::dlclose(library);  // the host's own handle (if any) keeps the library loaded

    EXPECT_EQ(jsonlSource()->file().filename(), "source.jsonl.so");
}

}  // namespace
}  // namespace passerelle::plugin::test
