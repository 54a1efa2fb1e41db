#include "json_path.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <charconv>

#include "source_failure.h"

namespace passerelle::rest {

using Poco::Dynamic::Var;

JsonPath JsonPath::parse(std::string_view text, const std::string& setting) {
    JsonPath path;
    path.text_ = std::string(text);
    if (text.empty()) return path;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = text.find('.', start);
        const std::string_view segment =
            text.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (segment.empty()) {
            throw SettingError(setting, "the JSON path '" + path.text_ +
                                            "' has an empty step; write steps separated by single dots, "
                                            "e.g. identite.nom_naissance or adresses.0.mail");
        }
        path.segments_.emplace_back(segment);
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return path;
}

bool isJsonObject(const Var& value) { return value.type() == typeid(Poco::JSON::Object::Ptr); }
bool isJsonArray(const Var& value) { return value.type() == typeid(Poco::JSON::Array::Ptr); }

namespace {

std::optional<std::size_t> arrayIndex(const std::string& segment) {
    std::size_t index = 0;
    const auto [end, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), index);
    if (ec != std::errc() || end != segment.data() + segment.size()) return std::nullopt;
    return index;
}

}  // namespace

Var JsonPath::find(const Var& root) const {
    Var current = root;
    for (const std::string& segment : segments_) {
        if (isJsonObject(current)) {
            const auto object = current.extract<Poco::JSON::Object::Ptr>();
            if (object.isNull() || !object->has(segment)) return {};
            current = object->get(segment);
        } else if (isJsonArray(current)) {
            const auto array = current.extract<Poco::JSON::Array::Ptr>();
            const auto index = arrayIndex(segment);
            if (array.isNull() || !index || *index >= array->size()) return {};
            current = array->get(static_cast<unsigned>(*index));
        } else {
            return {};
        }
    }
    return current;
}

std::optional<std::string> scalarText(const Var& value) {
    if (value.isEmpty()) return std::string();
    if (isJsonObject(value) || isJsonArray(value)) return std::nullopt;
    if (value.isBoolean()) return value.extract<bool>() ? "true" : "false";
    return value.convert<std::string>();
}

}  // namespace passerelle::rest
