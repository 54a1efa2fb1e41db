#pragma once
// A dotted path into a parsed JSON document: "identite.nom_naissance",
// "adresses.0.mail". A numeric segment indexes an array; a key holding a dot
// cannot be reached (Pégase-like APIs do not use such keys).

#include <Poco/Dynamic/Var.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::rest {

class JsonPath {
public:
    JsonPath() = default;  // the empty path: the document itself

    // Throws SettingError naming `setting` when the path has an empty segment.
    static JsonPath parse(std::string_view text, const std::string& setting);

    // The value at this path, or an empty Var when a step is missing (or null).
    Poco::Dynamic::Var find(const Poco::Dynamic::Var& root) const;

    bool empty() const { return segments_.empty(); }
    const std::string& text() const { return text_; }

private:
    std::string text_;
    std::vector<std::string> segments_;
};

bool isJsonObject(const Poco::Dynamic::Var& value);
bool isJsonArray(const Poco::Dynamic::Var& value);

// A scalar as cell text: a string as is, a number or boolean as its JSON text,
// null or missing as "". nullopt for an object or an array.
std::optional<std::string> scalarText(const Poco::Dynamic::Var& value);

}  // namespace passerelle::rest
