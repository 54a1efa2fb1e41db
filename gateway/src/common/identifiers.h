#pragma once
// Identifiers that come from a peer or back from storage and end up in file
// names, folder names and ledger entries. Each is checked by the parser that
// reads it, so a value that could climb out of a folder ("../x", "/tmp/x", "",
// ".incoming-…") is refused at the door, not where it would do harm.
// The error names the rule, never the value: the value is the attacker's text.

#include <compare>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/errors.h"

namespace passerelle {

// An identifier does not follow its rule; the message names the kind and the rule.
class IdentifierError : public Error {
public:
    using Error::Error;
};

namespace identifier_rules {

// 16 random bytes as exactly 32 lower-case hex characters.
struct Hex128 {
    static bool accepts(std::string_view text);
    static constexpr const char* kRule = "exactly 32 lower-case hexadecimal characters";
};

// Party and purpose ids, as the configuration names its [peer.*] and [purpose.*]
// sections: a lower-case letter or digit, then up to 63 lower-case letters,
// digits, '-' or '_'.
struct Name {
    static bool accepts(std::string_view text);
    static constexpr const char* kRule =
        "1 to 64 lower-case letters, digits, '-' or '_', starting with a letter or digit";
};

}  // namespace identifier_rules

template <typename Rule, const char* Kind>
class Identifier {
public:
    // Throws IdentifierError: "<kind> must be <rule>; the N-byte value given is not".
    static Identifier parse(std::string_view text) {
        if (!Rule::accepts(text)) {
            throw IdentifierError(std::string(Kind) + " must be " + Rule::kRule + "; the " +
                                  std::to_string(text.size()) + "-byte value given is not");
        }
        return Identifier(std::string(text));
    }
    static bool isValid(std::string_view text) { return Rule::accepts(text); }

    const std::string& str() const { return value_; }
    auto operator<=>(const Identifier&) const = default;

private:
    explicit Identifier(std::string value) : value_(std::move(value)) {}
    std::string value_;
};

inline constexpr char kBatchIdKind[] = "a batch id";
inline constexpr char kRequestIdKind[] = "an extraction request id";
inline constexpr char kPartyIdKind[] = "a party id";
inline constexpr char kPurposeIdKind[] = "a purpose id";

// A batch: privacy::newBatchId() makes them; inbox/<id>, outbox/<id>, carried/<id>.pseudonyms.
using BatchId = Identifier<identifier_rules::Hex128, kBatchIdKind>;
// An extraction request the Region signs.
using RequestId = Identifier<identifier_rules::Hex128, kRequestIdKind>;
// A gateway's party: its certificate's CN, [peer.<id>], a manifest's sender and recipient.
using PartyId = Identifier<identifier_rules::Name, kPartyIdKind>;
// A purpose: [purpose.<id>], a manifest's purpose.
using PurposeId = Identifier<identifier_rules::Name, kPurposeIdKind>;

// folder / (id + suffix), e.g. carried/<batch>.pseudonyms. The only way paths are
// made from ids: the id was validated, and the result is checked to be a direct
// child of `folder` (StoreError otherwise), so no later change to a rule can let
// a remove or rename reach outside its folder.
template <typename Rule, const char* Kind>
std::filesystem::path childPath(const std::filesystem::path& folder, const Identifier<Rule, Kind>& id,
                                std::string_view suffix = {});

// Throws StoreError unless `path` is `folder / name` with name a single component
// that is neither empty, "." nor "..": checked where a folder is removed or renamed.
void requireDirectChild(const std::filesystem::path& folder, const std::filesystem::path& path);

template <typename Rule, const char* Kind>
std::filesystem::path childPath(const std::filesystem::path& folder, const Identifier<Rule, Kind>& id,
                                std::string_view suffix) {
    std::filesystem::path path = folder / (id.str() + std::string(suffix));
    requireDirectChild(folder, path);
    return path;
}

}  // namespace passerelle
