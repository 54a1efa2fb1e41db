#pragma once
// Shared helpers for the plugin tests: a temporary folder, file writing and a
// source drained into plain strings. All data here is synthetic.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/errors.h"
#include "plugin/plugin_host.h"

namespace passerelle::plugin::test {

inline std::filesystem::path pluginDir() { return PASSERELLE_PLUGIN_DIR; }
inline std::filesystem::path testPluginDir() {
    return std::filesystem::path(PASSERELLE_PLUGIN_DIR) / "../test-plugins";
}

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "passerelle-plugin-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

inline void writeFile(const std::filesystem::path& file, std::string_view bytes) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write test file");
}

inline std::string readFile(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct RowError {
    std::uint64_t line;
    std::uint64_t column;
    std::string message;
};

struct Drained {
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;
    std::vector<std::uint64_t> lines;
    std::vector<RowError> errors;
};

inline std::shared_ptr<const SourcePlugin> csvSource() {
    return SourcePlugin::load(pluginDir(), "source.csv");
}

// Every row of a source, in order: cells, their lines, and each row error.
inline Drained drainSource(const SourcePlugin& plugin, const Settings& settings) {
    auto reader = plugin.open(settings);
    Drained out;
    for (std::string_view c : reader->columns()) out.columns.emplace_back(c);
    psl_row row{};
    psl_error err{};
    for (;;) {
        const SourceReader::Step step = reader->next(row, err);
        if (step == SourceReader::Step::End) break;
        if (step == SourceReader::Step::RowError) {
            out.errors.push_back({err.line, err.column, err.message});
            continue;
        }
        std::vector<std::string> cells;
        for (std::size_t i = 0; i < row.cell_count; ++i)
            cells.emplace_back(row.cells[i].data, row.cells[i].size);
        out.rows.push_back(std::move(cells));
        out.lines.push_back(row.line);
    }
    return out;
}

inline Drained drain(const Settings& settings) { return drainSource(*csvSource(), settings); }

inline Drained drainFile(const TempDir& dir, std::string_view bytes, Settings extra = {}) {
    const auto file = dir / "export.csv";
    writeFile(file, bytes);
    extra.insert(extra.begin(), {"path", file.string()});
    return drain(extra);
}

using Row = std::vector<std::string>;

// What a source's open refused with, or "(opened)".
inline std::string openError(const SourcePlugin& plugin, const Settings& settings) {
    try {
        plugin.open(settings);
    } catch (const PluginError& e) {
        return e.what();
    }
    return "(opened)";
}

}  // namespace passerelle::plugin::test
