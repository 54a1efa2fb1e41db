#pragma once
// The console's page files (gateway/src/console/assets/), compiled into the
// binary by embed_assets.cmake: the console serves them from memory and never
// from the disk or another site.

#include <string_view>
#include <vector>

namespace passerelle::console {

struct Asset {
    std::string_view name;         // file name in assets/, e.g. "console.js"
    std::string_view contentType;  // e.g. "text/javascript; charset=utf-8"
    std::string_view body;
};

const std::vector<Asset>& assets();

// The asset with this file name, or nullptr.
inline const Asset* findAsset(std::string_view name) {
    for (const Asset& a : assets()) {
        if (a.name == name) return &a;
    }
    return nullptr;
}

}  // namespace passerelle::console
