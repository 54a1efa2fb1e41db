#pragma once
// The two ways source.rest stops: a setting it cannot use (refused at open,
// naming the setting) and a source it cannot go on reading (named by page and
// URL path). Neither message ever quotes a data value, a token or a password.

#include <stdexcept>
#include <string>

namespace passerelle::rest {

class SourceFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "setting 'url': <why>" — the host prefixes nothing, so the key is named here.
class SettingError : public SourceFailure {
public:
    SettingError(const std::string& key, const std::string& why)
        : SourceFailure("setting '" + key + "': " + why) {}
};

}  // namespace passerelle::rest
