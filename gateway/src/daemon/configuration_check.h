#pragma once
// Everything `passerelle run` would need, checked before it runs: the file's
// syntax and keys, the TLS files, the party's own keys, its peers' public keys,
// the storage and the plugins (docs/configuration.md).

#include <filesystem>
#include <functional>
#include <string>

namespace passerelle::daemon {

// Says one line per check passed; throws ConfigError naming the key at the first
// that fails.
void checkConfiguration(const std::filesystem::path& configFile,
                        const std::function<void(const std::string&)>& say);

}  // namespace passerelle::daemon
