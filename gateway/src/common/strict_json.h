#pragma once
// Reading a JSON document member by member, strictly: the shared half of every
// signed or hashed document's parser (manifest, receipt, extraction request,
// ledger entry). Each document keeps its own wording and exception family: the
// reader tells what is wrong to the document's refusal, which must throw.

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle {

struct JsonRefusal {
    enum class Problem {
        NotJson,         // the parser refused the text
        NotObject,       // valid JSON, but not an object at the top
        Missing,         // the member is absent
        NotString,       // present, not a string
        NotInteger,      // present, not an integer (a boolean is not one)
        OutOfRange,      // an integer the member's type cannot hold
        NotArray,        // present, not an array (or, for objects(), an element is not an object)
        NotStringArray,  // an array with an element that is not a string
        Unknown,         // a member no one read (refuseOtherMembers)
    };
    // What the reader asked for: some documents word a missing member by it.
    enum class Shape { Object, String, Integer, StringArray, ObjectArray };

    Problem problem;
    Shape expected;
    // The member; for Unknown, only when it is a plain identifier (the message may
    // reach the ledger or a peer), "" otherwise and for whole-document problems.
    std::string member;
    // NotJson, NotObject: the parser's own words, without and with the exception's
    // name; both empty for an object that is null.
    std::string parserMessage;
    std::string parserDisplayText;
};

// Throws the document's own error for the refusal; never returns.
using JsonRefuse = std::function<void(const JsonRefusal&)>;

class StrictJsonObject {
public:
    // Parses `json`; refuses NotJson or NotObject.
    StrictJsonObject(std::string_view json, JsonRefuse refuse);

    bool has(const std::string& member) const;
    std::size_t size() const;

    std::string text(const std::string& member);
    // A string, or null (nullopt).
    std::optional<std::string> textOrNull(const std::string& member);
    std::int64_t integer(const std::string& member);
    // An integer from 0 to 2^64 - 1; a negative one is OutOfRange.
    std::uint64_t count(const std::string& member);
    std::vector<std::string> texts(const std::string& member);
    // An array of objects, each read as strictly and refused through the refusal
    // `refusalOf(index)` gives it (so a message can say which element); an element
    // that is not an object is NotArray with Shape::ObjectArray, refused here.
    std::vector<StrictJsonObject> objects(const std::string& member,
                                          const std::function<JsonRefuse(std::size_t index)>& refusalOf);

    // Refuses the first member (in the parser's order) that no reader above asked for.
    void refuseOtherMembers() const;

private:
    StrictJsonObject(Poco::JSON::Object::Ptr object, JsonRefuse refuse);
    [[noreturn]] void refuse(JsonRefusal refusal) const;
    const Poco::Dynamic::Var& present(const std::string& member, JsonRefusal::Shape expected);

    JsonRefuse refuse_;
    Poco::JSON::Object::Ptr object_;
    std::set<std::string> read_;
    Poco::Dynamic::Var value_;  // the member last read
};

}  // namespace passerelle
