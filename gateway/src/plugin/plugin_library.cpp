#include "plugin/plugin_library.h"

#include <dlfcn.h>
#include <passerelle/plugin.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <system_error>

#include "common/errors.h"

namespace passerelle::plugin {

namespace {

std::mutex& libraryMutex() {
    static std::mutex mutex;
    return mutex;
}

// Open libraries by file, for the life of the process: a plugin's code may be
// referenced by any handle still open, so nothing is ever dlclose'd.
std::map<std::string, void*>& libraries() {
    static std::map<std::string, void*> handles;
    return handles;
}

std::string modeText(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

// A plugin runs with the gateway's rights: whoever can replace its file, or swap
// the folder it sits in, can run code as the gateway. So the file and its folder
// belong to root or to the gateway's user and nobody else may write them, and no
// folder above may be written by others unless its sticky bit stops them from
// renaming what is not theirs (as /tmp's does).
void checkNobodyElseCanWrite(const std::filesystem::path& path, const std::string& what, bool checkOwner) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return;  // what cannot be read is refused when loading
    const bool stickyFolder = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0 && st.st_uid == 0;
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (checkOwner || !stickyFolder)) {
        throw PluginError(what + " " + path.string() + " is writable by group or others (mode " +
                          modeText(st.st_mode) + "), so they could make the gateway run their code; run chmod go-w " +
                          path.string());
    }
    if (checkOwner && st.st_uid != 0 && st.st_uid != ::geteuid()) {
        throw PluginError(what + " " + path.string() + " belongs to user id " + std::to_string(st.st_uid) +
                          ", neither root nor the gateway's user; run chown root " + path.string());
    }
}

void checkPluginFileIsTrusted(const std::filesystem::path& file) {
    std::error_code ec;
    const std::filesystem::path folder = file.parent_path().empty() ? "." : file.parent_path();
    checkNobodyElseCanWrite(folder, "plugin folder (gateway.plugins_dir)", true);
    // Through a symbolic link, what is loaded is the file it points to, in its own folder.
    const std::filesystem::path real = std::filesystem::canonical(file, ec);
    if (ec) return;
    checkNobodyElseCanWrite(real, "plugin file", true);
    if (real.parent_path() != std::filesystem::canonical(folder, ec)) {
        checkNobodyElseCanWrite(real.parent_path(), "plugin folder", true);
    }
    for (std::filesystem::path above = real.parent_path(); above.has_relative_path();) {
        above = above.parent_path();
        checkNobodyElseCanWrite(above, "folder above the plugin folder", false);
    }
}

}  // namespace

std::filesystem::path pluginFile(const std::filesystem::path& pluginDir, std::string_view name) {
    bool valid = !name.empty() && name.size() <= 64 && name.front() != '.';
    for (const char c : name) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            valid = false;
    }
    if (!valid) {
        throw PluginError(
            "plugin name '" + std::string(name) +
            "' is not valid: use lowercase letters, digits, '.', '_' and '-' (e.g. source.csv)");
    }
    return pluginDir / (std::string(name) + ".so");
}

void* resolveEntry(const std::filesystem::path& file, const char* entryName, std::string_view role) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
        throw PluginError("plugin file " + file.string() +
                          " not found; check the plugin name and the plugin folder");
    }
    const std::string key = std::filesystem::weakly_canonical(file, ec).string();

    std::lock_guard lock(libraryMutex());  // dlerror's state is per thread, the cache is shared
    void*& library = libraries()[ec ? file.string() : key];
    if (library == nullptr) {
        checkPluginFileIsTrusted(file);
        library = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (library == nullptr) {
            const char* why = ::dlerror();
            throw PluginError("cannot load plugin " + file.string() + ": " +
                              (why ? why : "unknown dlopen error"));
        }
    }
    ::dlerror();
    void* entry = ::dlsym(library, entryName);
    if (entry == nullptr) {
        throw PluginError("plugin " + file.string() + " does not export " + entryName + ": it is not a " +
                          std::string(role) + " plugin");
    }
    return entry;
}

std::string abiMismatch(const std::filesystem::path& file, unsigned pluginAbi) {
    return "plugin " + file.string() + " was built for plugin ABI " + std::to_string(pluginAbi) +
           ", this gateway speaks ABI " + std::to_string(PASSERELLE_PLUGIN_ABI_VERSION) +
           "; rebuild the plugin against this gateway's SDK";
}

std::vector<psl_setting> cSettings(const Settings& settings) {
    std::vector<psl_setting> out;
    out.reserve(settings.size());
    for (const auto& [key, value] : settings) out.push_back({key.c_str(), value.c_str()});
    return out;
}

std::string messageOf(psl_error& err) {
    err.message[sizeof err.message - 1] = '\0';
    return err.message[0] != '\0' ? std::string(err.message) : std::string("no reason given");
}

}  // namespace passerelle::plugin
