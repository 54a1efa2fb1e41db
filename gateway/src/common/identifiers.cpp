#include "common/identifiers.h"

#include <algorithm>

namespace passerelle {

namespace identifier_rules {

namespace {

bool isLowerHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

bool Hex128::accepts(std::string_view text) {
    return text.size() == 32 && std::all_of(text.begin(), text.end(), isLowerHexDigit);
}

bool Name::accepts(std::string_view text) {
    return !text.empty() && text.size() <= 64 && isLowerAlnum(text.front()) &&
           std::all_of(text.begin(), text.end(), [](char c) { return isLowerAlnum(c) || c == '-' || c == '_'; });
}

}  // namespace identifier_rules

void requireDirectChild(const std::filesystem::path& folder, const std::filesystem::path& path) {
    const std::filesystem::path name = path.filename();
    if (folder.empty() || name.empty() || name == "." || name == ".." || folder / name != path) {
        throw StoreError("refusing to touch " + path.string() + ": it is not an entry directly inside " +
                         folder.string());
    }
}

}  // namespace passerelle
