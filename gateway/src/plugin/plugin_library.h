#pragma once
// Finding and dlopen-ing a plugin's shared library, shared by sources and sinks.

#include <passerelle/plugin.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/plugin_host.h"

namespace passerelle::plugin {

// <pluginDir>/<name>.so, after checking name against [a-z0-9._-]+.
std::filesystem::path pluginFile(const std::filesystem::path& pluginDir, std::string_view name);

// The address of entryName in file, which is loaded with RTLD_NOW|RTLD_LOCAL
// on first use and never unloaded. Throws PluginError naming the file.
void* resolveEntry(const std::filesystem::path& file, const char* entryName, std::string_view role);

// The message for a plugin whose abi_version is not ours.
std::string abiMismatch(const std::filesystem::path& file, unsigned pluginAbi);

// C views of the settings, valid as long as settings is.
std::vector<psl_setting> cSettings(const Settings& settings);

// The plugin's message, safe even if it forgot the terminating NUL.
std::string messageOf(psl_error& err);

}  // namespace passerelle::plugin
