#include "common/strict_json.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <stdexcept>

namespace passerelle {

namespace {

using Problem = JsonRefusal::Problem;
using Shape = JsonRefusal::Shape;

bool isPlainName(const std::string& name) {
    return name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
           });
}

}  // namespace

StrictJsonObject::StrictJsonObject(std::string_view json, JsonRefuse refuse) : refuse_(std::move(refuse)) {
    Poco::Dynamic::Var root;
    try {
        root = Poco::JSON::Parser().parse(std::string(json));
    } catch (const Poco::Exception& e) {
        this->refuse({Problem::NotJson, Shape::Object, "", e.message(), e.displayText()});
    }
    try {
        object_ = root.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        this->refuse({Problem::NotObject, Shape::Object, "", e.message(), e.displayText()});
    }
    if (!object_) this->refuse({Problem::NotObject, Shape::Object, "", "", ""});
}

void StrictJsonObject::refuse(JsonRefusal refusal) const {
    refuse_(refusal);
    // A refusal that returns is a bug in the document's parser, not bad input.
    throw std::logic_error("a JSON document's refusal returned");
}

bool StrictJsonObject::has(const std::string& member) const { return object_->has(member); }

std::size_t StrictJsonObject::size() const { return object_->size(); }

const Poco::Dynamic::Var& StrictJsonObject::present(const std::string& member, Shape expected) {
    read_.insert(member);
    if (!object_->has(member)) refuse({Problem::Missing, expected, member, "", ""});
    value_ = object_->get(member);
    return value_;
}

std::string StrictJsonObject::text(const std::string& member) {
    const Poco::Dynamic::Var& value = present(member, Shape::String);
    if (!value.isString()) refuse({Problem::NotString, Shape::String, member, "", ""});
    return value.extract<std::string>();
}

std::optional<std::string> StrictJsonObject::textOrNull(const std::string& member) {
    if (object_->has(member) && object_->isNull(member)) {
        read_.insert(member);
        return std::nullopt;
    }
    return text(member);
}

std::int64_t StrictJsonObject::integer(const std::string& member) {
    const Poco::Dynamic::Var& value = present(member, Shape::Integer);
    // Poco counts a boolean as an integer; JSON does not.
    if (!value.isInteger() || value.isBoolean())
        refuse({Problem::NotInteger, Shape::Integer, member, "", ""});
    try {
        return value.convert<std::int64_t>();
    } catch (const Poco::Exception&) {
        refuse({Problem::OutOfRange, Shape::Integer, member, "", ""});
    }
}

std::uint64_t StrictJsonObject::count(const std::string& member) {
    const Poco::Dynamic::Var& value = present(member, Shape::Integer);
    if (!value.isInteger() || value.isBoolean())
        refuse({Problem::NotInteger, Shape::Integer, member, "", ""});
    try {
        return value.convert<std::uint64_t>();
    } catch (const Poco::Exception&) {
        refuse({Problem::OutOfRange, Shape::Integer, member, "", ""});
    }
}

std::vector<std::string> StrictJsonObject::texts(const std::string& member) {
    present(member, Shape::StringArray);
    const Poco::JSON::Array::Ptr array = object_->getArray(member);
    if (!array) refuse({Problem::NotArray, Shape::StringArray, member, "", ""});
    std::vector<std::string> out;
    out.reserve(array->size());
    for (std::size_t i = 0; i < array->size(); ++i) {
        const Poco::Dynamic::Var element = array->get(static_cast<unsigned>(i));
        if (!element.isString()) refuse({Problem::NotStringArray, Shape::StringArray, member, "", ""});
        out.push_back(element.extract<std::string>());
    }
    return out;
}

StrictJsonObject::StrictJsonObject(Poco::JSON::Object::Ptr object, JsonRefuse refuse)
    : refuse_(std::move(refuse)), object_(std::move(object)) {}

std::vector<StrictJsonObject> StrictJsonObject::objects(const std::string& member,
                                                       const std::function<JsonRefuse(std::size_t index)>& refusalOf) {
    present(member, Shape::ObjectArray);
    const Poco::JSON::Array::Ptr array = object_->getArray(member);
    if (!array) refuse({Problem::NotArray, Shape::ObjectArray, member, "", ""});
    std::vector<StrictJsonObject> out;
    out.reserve(array->size());
    for (std::size_t i = 0; i < array->size(); ++i) {
        const Poco::JSON::Object::Ptr element = array->getObject(static_cast<unsigned>(i));
        if (!element) refuse({Problem::NotArray, Shape::ObjectArray, member, "", ""});
        out.push_back(StrictJsonObject(element, refusalOf(i)));
    }
    return out;
}

void StrictJsonObject::refuseOtherMembers() const {
    for (const auto& [name, value] : *object_) {
        if (!read_.contains(name))
            refuse({Problem::Unknown, Shape::Object, isPlainName(name) ? name : "", "", ""});
    }
}

}  // namespace passerelle
