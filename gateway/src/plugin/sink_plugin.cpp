#include <map>
#include <mutex>

#include "common/errors.h"
#include "plugin/plugin_host.h"
#include "plugin/plugin_library.h"

namespace passerelle::plugin {

struct SinkPlugin::Private {};

SinkPlugin::SinkPlugin(const Private&, std::string name, std::filesystem::path file, const psl_sink_v1* api)
    : name_(std::move(name)), file_(std::move(file)), api_(api) {}

std::shared_ptr<const SinkPlugin> SinkPlugin::load(const std::filesystem::path& pluginDir,
                                                   std::string_view name) {
    const std::filesystem::path file = pluginFile(pluginDir, name);

    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<const SinkPlugin>> loaded;
    std::lock_guard lock(mutex);
    if (auto it = loaded.find(file.string()); it != loaded.end()) return it->second;

    auto entry = reinterpret_cast<psl_sink_entry_fn>(resolveEntry(file, PASSERELLE_SINK_ENTRY, "sink"));
    const psl_sink_v1* api = entry();
    if (api == nullptr)
        throw PluginError("plugin " + file.string() + ": " PASSERELLE_SINK_ENTRY " returned nothing");
    if (api->abi_version != PASSERELLE_PLUGIN_ABI_VERSION)
        throw PluginError(abiMismatch(file, api->abi_version));
    if (api->name == nullptr || name != api->name) {
        throw PluginError("plugin " + file.string() + " calls itself '" + (api->name ? api->name : "") +
                          "', expected '" + std::string(name) + "'; rename the file or fix the plugin");
    }
    if (!api->open || !api->begin_batch || !api->write_record || !api->commit_batch || !api->abort_batch ||
        !api->close) {
        throw PluginError("plugin " + file.string() + " leaves a sink function unset");
    }
    auto plugin = std::make_shared<const SinkPlugin>(Private{}, std::string(name), file, api);
    loaded.emplace(file.string(), plugin);
    return plugin;
}

std::unique_ptr<SinkWriter> SinkPlugin::open(const Settings& settings) const {
    const std::vector<psl_setting> c = cSettings(settings);
    psl_error err{};
    void* handle = api_->open(c.data(), c.size(), &err);
    if (handle == nullptr) throw PluginError(name_ + ": cannot open the sink: " + messageOf(err));
    return std::unique_ptr<SinkWriter>(new SinkWriter(shared_from_this(), api_, handle));
}

SinkWriter::SinkWriter(std::shared_ptr<const SinkPlugin> plugin, const psl_sink_v1* api, void* handle)
    : plugin_(std::move(plugin)), api_(api), handle_(handle) {}

SinkWriter::~SinkWriter() {
    abortBatch();
    api_->close(handle_);
}

void SinkWriter::beginBatch(const psl_batch_info& info) {
    psl_error err{};
    if (api_->begin_batch(handle_, &info, &err) != PSL_OK) {
        throw PluginError(plugin_->name() + ": cannot begin batch: " + messageOf(err));
    }
    inBatch_ = true;
}

void SinkWriter::writeRecord(std::span<const psl_str> values) {
    psl_error err{};
    if (api_->write_record(handle_, values.data(), values.size(), &err) != PSL_OK) {
        throw PluginError(plugin_->name() + ": cannot write a record: " + messageOf(err));
    }
}

void SinkWriter::commitBatch() {
    psl_error err{};
    if (api_->commit_batch(handle_, &err) != PSL_OK) {
        throw PluginError(plugin_->name() + ": cannot commit the batch: " + messageOf(err));
    }
    inBatch_ = false;
}

void SinkWriter::abortBatch() noexcept {
    if (!inBatch_) return;
    api_->abort_batch(handle_);
    inBatch_ = false;
}

}  // namespace passerelle::plugin
