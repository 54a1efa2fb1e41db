#include <map>
#include <mutex>

#include "common/errors.h"
#include "plugin/plugin_host.h"
#include "plugin/plugin_library.h"

namespace passerelle::plugin {

struct SourcePlugin::Private {};

SourcePlugin::SourcePlugin(const Private&, std::string name, std::filesystem::path file,
                           const psl_source_v1* api)
    : name_(std::move(name)), file_(std::move(file)), api_(api) {}

std::shared_ptr<const SourcePlugin> SourcePlugin::load(const std::filesystem::path& pluginDir,
                                                       std::string_view name) {
    const std::filesystem::path file = pluginFile(pluginDir, name);

    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<const SourcePlugin>> loaded;
    std::lock_guard lock(mutex);
    if (auto it = loaded.find(file.string()); it != loaded.end()) return it->second;

    auto entry = reinterpret_cast<psl_source_entry_fn>(resolveEntry(file, PASSERELLE_SOURCE_ENTRY, "source"));
    const psl_source_v1* api = entry();
    if (api == nullptr)
        throw PluginError("plugin " + file.string() + ": " PASSERELLE_SOURCE_ENTRY " returned nothing");
    if (api->abi_version != PASSERELLE_PLUGIN_ABI_VERSION)
        throw PluginError(abiMismatch(file, api->abi_version));
    if (api->name == nullptr || name != api->name) {
        throw PluginError("plugin " + file.string() + " calls itself '" + (api->name ? api->name : "") +
                          "', expected '" + std::string(name) + "'; rename the file or fix the plugin");
    }
    if (!api->open || !api->columns || !api->next_row || !api->close) {
        throw PluginError("plugin " + file.string() + " leaves a source function unset");
    }
    auto plugin = std::make_shared<const SourcePlugin>(Private{}, std::string(name), file, api);
    loaded.emplace(file.string(), plugin);
    return plugin;
}

std::unique_ptr<SourceReader> SourcePlugin::open(const Settings& settings,
                                                 const psl_source_filter* filter) const {
    const std::vector<psl_setting> c = cSettings(settings);
    static const psl_source_filter kNoFilter = {"", "", ""};
    psl_error err{};
    void* handle = api_->open(c.data(), c.size(), filter ? filter : &kNoFilter, &err);
    if (handle == nullptr) throw PluginError(name_ + ": cannot open the source: " + messageOf(err));
    // The reader owns the handle from here, so a failure below still closes it.
    return std::unique_ptr<SourceReader>(new SourceReader(shared_from_this(), api_, handle));
}

SourceReader::SourceReader(std::shared_ptr<const SourcePlugin> plugin, const psl_source_v1* api, void* handle)
    : plugin_(std::move(plugin)), api_(api), handle_(handle) {
    const psl_str* names = nullptr;
    std::size_t count = 0;
    psl_error err{};
    if (api_->columns(handle_, &names, &count, &err) != PSL_OK) {
        const std::string message = messageOf(err);
        api_->close(handle_);
        throw PluginError(plugin_->name() + ": cannot list the columns: " + message);
    }
    columns_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) columns_.emplace_back(names[i].data, names[i].size);
}

SourceReader::~SourceReader() { api_->close(handle_); }

SourceReader::Step SourceReader::next(psl_row& row, psl_error& err) {
    if (failed_) throw PluginError(plugin_->name() + ": the source failed earlier and cannot go on");
    err.message[0] = '\0';
    err.line = 0;
    err.column = 0;
    switch (api_->next_row(handle_, &row, &err)) {
        case PSL_OK:
            if (row.cell_count != columns_.size()) {
                failed_ = true;
                throw PluginError(plugin_->name() + ": line " + std::to_string(row.line) + " has " +
                                  std::to_string(row.cell_count) + " cells for " +
                                  std::to_string(columns_.size()) +
                                  " columns (the plugin should have reported a row error)");
            }
            return Step::Row;
        case PSL_END:
            return Step::End;
        case PSL_ROW_ERROR:
            messageOf(err);
            return Step::RowError;
        case PSL_FATAL: {
            failed_ = true;
            const std::string where = err.line != 0 ? " at line " + std::to_string(err.line) : std::string();
            throw PluginError(plugin_->name() + " failed" + where + ": " + messageOf(err));
        }
        default:
            failed_ = true;
            throw PluginError(plugin_->name() + ": next_row returned an unknown code");
    }
}

}  // namespace passerelle::plugin
