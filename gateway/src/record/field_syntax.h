#pragma once
// The syntax of each kind of field value, as pure functions over text. They
// never allocate: a normalised form is written into a small fixed buffer, so
// the validator can run on every row of a large export.

#include <array>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string_view>

namespace passerelle::record {

// A short normalised value (date, phone, code) held on the stack.
class ShortValue {
public:
    static constexpr std::size_t kCapacity = 32;
    // Returns false, and leaves the value unchanged, when full.
    bool push(char c) {
        if (size_ == kCapacity) return false;
        bytes_[size_++] = c;
        return true;
    }
    // Appends what fits; false when s did not fit whole.
    bool append(std::string_view s) {
        const std::size_t n = s.size() <= kCapacity - size_ ? s.size() : kCapacity - size_;
        if (n != 0) std::memcpy(bytes_.data() + size_, s.data(), n);
        size_ += n;
        return n == s.size();
    }
    std::string_view view() const { return {bytes_.data(), size_}; }

private:
    std::array<char, kCapacity> bytes_;  // only [0, size_) is ever read
    std::size_t size_ = 0;
};

// Strips ASCII white space and no-break spaces (U+00A0, common in spreadsheet
// exports) from both ends.
std::string_view trimmed(std::string_view value);

bool isValidUtf8(std::string_view value);

// ASCII upper-case copy; nullopt when longer than ShortValue::kCapacity.
std::optional<ShortValue> upperAscii(std::string_view value);

// --- dates ----------------------------------------------------------------
enum class DateProblem { None, Syntax, NotACalendarDate, YearOutOfRange };
inline constexpr int kMinYear = 1900;
inline constexpr int kMaxYear = 2100;
// Accepts yyyy-mm-dd, dd/mm/yyyy and d/m/yyyy; writes yyyy-mm-dd into `iso`.
DateProblem parseDate(std::string_view value, ShortValue& iso);

// --- contact --------------------------------------------------------------
// Pragmatic address check: one @, local part 1..64 of the RFC 5322 atom
// characters with dots between atoms, a domain of letter/digit/hyphen labels
// with at least one dot and an alphabetic top-level label, 254 bytes overall.
bool isEmail(std::string_view value);

// E.164 form of a phone number, or nullopt. French 10-digit numbers (0X XX XX
// XX XX, with spaces, dots, dashes or parentheses, or +33 / 0033 forms) map to
// +33, except overseas departments, which have their own country codes;
// numbers already written +CC are kept when they have 8 to 15 digits.
std::optional<ShortValue> e164Phone(std::string_view value);

// --- identifiers and codes (expect upper-case input) ----------------------
bool isIne(std::string_view value);
bool isUaiShape(std::string_view value);     // 7 digits + a letter
bool uaiCheckLetterMatches(std::string_view value);  // requires isUaiShape
bool isFranceTravailId(std::string_view value);
bool isPostalCode(std::string_view value);
bool isCommuneInsee(std::string_view value);
bool isPrefixedNumber(std::string_view value, std::string_view prefix);  // RNCP123, RS456
bool isFormacode(std::string_view value);
bool isStudentNumber(std::string_view value);  // 1..64 visible ASCII, no space

// --- closed vocabularies (expect upper-case input) ------------------------
bool isProgramme(std::string_view value);
bool isCertificationResult(std::string_view value);
bool isInsertionStatus(std::string_view value);
// oui/non, yes/no, true/false, vrai/faux, 1/0 in any case -> true/false.
std::optional<bool> parseYesNo(std::string_view value);

// --- free text ------------------------------------------------------------
enum class TextProblem { None, InvalidUtf8, ControlCharacter, TooLong };
// Collapses runs of white space (space, tab, no-break space; also CR and LF
// when `lineBreaksAreSpace`) to one space. Other C0/C1 control characters are
// refused, and so is malformed UTF-8 or a result longer than maxBytes (<= out's size). Most values
// need no change: then `rewritten` is false and `out` is not touched; otherwise
// the result is out[0..outSize). Expects a trimmed value.
TextProblem collapseText(std::string_view value, bool lineBreaksAreSpace, std::size_t maxBytes, char* out,
                         std::size_t& outSize, bool& rewritten);

// True when some byte is an ASCII lower-case letter.
bool hasAsciiLower(std::string_view value);

}  // namespace passerelle::record
