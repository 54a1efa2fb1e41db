#pragma once
// The gateway's side of the plugin ABI: loads a plugin once per process (never
// unloaded), checks its ABI version and name, and wraps its handles in RAII
// classes that turn the C error reports into PluginError exceptions.
//
//   auto csv = SourcePlugin::load(pluginDir, "source.csv");
//   auto reader = csv->open({{"path", "/exports/trainees.csv"}});
//   psl_row row; psl_error err;
//   while (true) switch (reader->next(row, err)) { ... }

#include <passerelle/plugin.h>

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace passerelle::plugin {

// Settings handed to a plugin's open, keys without the plugin prefix.
using Settings = std::vector<std::pair<std::string, std::string>>;

class SourceReader;
class SinkWriter;

class SourcePlugin : public std::enable_shared_from_this<SourcePlugin> {
    struct Private;  // a pass key: only load() constructs plugins

public:
    // Loads <pluginDir>/<name>.so (once per process) and checks that it exports
    // passerelle_source_v1 for this ABI version under that name. name must
    // match [a-z0-9._-]+. Throws PluginError naming the file and the reason.
    static std::shared_ptr<const SourcePlugin> load(const std::filesystem::path& pluginDir,
                                                    std::string_view name);

    // Opens the source; throws PluginError with the plugin's own message.
    std::unique_ptr<SourceReader> open(const Settings& settings,
                                       const psl_source_filter* filter = nullptr) const;

    const std::string& name() const { return name_; }
    const std::filesystem::path& file() const { return file_; }

    SourcePlugin(const Private&, std::string name, std::filesystem::path file, const psl_source_v1* api);

private:
    std::string name_;
    std::filesystem::path file_;
    const psl_source_v1* api_;
};

class SourceReader {
public:
    enum class Step { Row, End, RowError };

    ~SourceReader();  // closes the plugin's handle
    SourceReader(const SourceReader&) = delete;
    SourceReader& operator=(const SourceReader&) = delete;

    // The column names, in the order of every row's cells.
    const std::vector<std::string_view>& columns() const { return columns_; }

    // Row: row holds the next row, valid until the next call. RowError: err says
    // which line is malformed and why; reading may go on. End: no more rows.
    // A fatal plugin error throws PluginError naming the plugin, line and message.
    Step next(psl_row& row, psl_error& err);

private:
    friend class SourcePlugin;
    SourceReader(std::shared_ptr<const SourcePlugin> plugin, const psl_source_v1* api, void* handle);

    std::shared_ptr<const SourcePlugin> plugin_;
    const psl_source_v1* api_;
    void* handle_;
    std::vector<std::string_view> columns_;
    bool failed_ = false;
};

class SinkPlugin : public std::enable_shared_from_this<SinkPlugin> {
    struct Private;

public:
    // As SourcePlugin::load, for passerelle_sink_v1.
    static std::shared_ptr<const SinkPlugin> load(const std::filesystem::path& pluginDir,
                                                  std::string_view name);

    std::unique_ptr<SinkWriter> open(const Settings& settings) const;

    const std::string& name() const { return name_; }
    const std::filesystem::path& file() const { return file_; }

    SinkPlugin(const Private&, std::string name, std::filesystem::path file, const psl_sink_v1* api);

private:
    std::string name_;
    std::filesystem::path file_;
    const psl_sink_v1* api_;
};

class SinkWriter {
public:
    ~SinkWriter();  // aborts a batch begun and not committed, then closes the handle
    SinkWriter(const SinkWriter&) = delete;
    SinkWriter& operator=(const SinkWriter&) = delete;

    // Each throws PluginError with the plugin's message when the plugin fails;
    // the batch then stays open until abortBatch (or the destructor) drops it.
    void beginBatch(const psl_batch_info& info);
    void writeRecord(std::span<const psl_str> values);
    void commitBatch();  // durable and visible; a batch id committed before is not replaced
    void abortBatch() noexcept;

private:
    friend class SinkPlugin;
    SinkWriter(std::shared_ptr<const SinkPlugin> plugin, const psl_sink_v1* api, void* handle);

    std::shared_ptr<const SinkPlugin> plugin_;
    const psl_sink_v1* api_;
    void* handle_;
    bool inBatch_ = false;
};

}  // namespace passerelle::plugin
