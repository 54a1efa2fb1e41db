#include "json_object_line.h"

#include <passerelle/utf8.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace passerelle::jsonl {

namespace {

// Members nested deeper than this are refused rather than followed: a line is
// untrusted input, and the skipping below recurses once per level.
constexpr int kMaxDepth = 64;

void appendUtf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// What a one-letter escape stands for, or 0 (\u and unknown escapes).
char simpleEscape(char escape) {
    constexpr std::string_view kLetters = "\"\\/bfnrt";
    constexpr std::string_view kMeanings = "\"\\/\b\f\n\r\t";
    const std::size_t at = kLetters.find(escape);
    return at == std::string_view::npos ? '\0' : kMeanings[at];
}

// A recursive-descent reader over one line. Each parse function starts at the
// first byte of what it reads and leaves pos_ just after it; on failure it
// records the problem (with the column being read, if any) and returns false.
class ObjectLineParser {
public:
    ObjectLineParser(std::string_view text, LineProblem& problem) : text_(text), problem_(problem) {}

    bool object(const std::vector<std::string>& columns, std::vector<std::string>& cells) {
        std::vector<bool> given(columns.size(), false);
        std::string name;
        skipSpace();
        if (peek() != '{') return fail("the line is not a JSON object");
        ++pos_;
        skipSpace();
        if (peek() == '}') {
            ++pos_;
        } else {
            for (;;) {
                if (peek() != '"') return fail("a member name (a JSON text in double quotes) is missing");
                name.clear();
                if (!string(&name)) return false;
                skipSpace();
                if (peek() != ':') return fail("':' is missing after a member name");
                ++pos_;
                skipSpace();
                const auto wanted = std::find(columns.begin(), columns.end(), name);
                if (wanted == columns.end()) {
                    if (!skipValue(1)) return false;
                } else {
                    const auto index = static_cast<std::size_t>(wanted - columns.begin());
                    column_ = index + 1;
                    if (given[index]) return fail("the object gives this column twice");
                    given[index] = true;
                    if (!scalar(cells[index])) return false;
                    column_ = 0;
                }
                skipSpace();
                if (peek() == ',') {
                    ++pos_;
                    skipSpace();
                    continue;
                }
                if (peek() != '}') return fail("',' or '}' is missing after a member");
                ++pos_;
                break;
            }
        }
        skipSpace();
        if (pos_ != text_.size()) return fail("text follows the end of the object (one object per line)");
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (!given[i]) cells[i].clear();
        }
        return true;
    }

private:
    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

    bool fail(const char* what) {
        problem_.column = column_;
        problem_.what = what;
        return false;
    }

    void skipSpace() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r'))
            ++pos_;
    }

    // The value of a wanted column, as the text of one cell.
    bool scalar(std::string& cell) {
        cell.clear();
        switch (peek()) {
            case '"':
                return string(&cell);
            case '{':
                return fail(
                    "the value is a JSON object; a column takes a text, a number, true, false or null");
            case '[':
                return fail(
                    "the value is a JSON array; a column takes a text, a number, true, false or null");
            case 't':
                cell = "true";
                return literal("true");
            case 'f':
                cell = "false";
                return literal("false");
            case 'n':
                return literal("null");  // an empty cell
            default:
                return number(&cell);
        }
    }

    // Any value of a member the job does not ask for: checked, not kept.
    bool skipValue(int depth) {
        if (depth > kMaxDepth) return fail("the JSON nests more than 64 levels deep");
        const char open = peek();
        if (open != '{' && open != '[') {
            switch (open) {
                case '"':
                    return string(nullptr);
                case 't':
                    return literal("true");
                case 'f':
                    return literal("false");
                case 'n':
                    return literal("null");
                default:
                    return number(nullptr);
            }
        }
        const char close = open == '{' ? '}' : ']';
        ++pos_;
        skipSpace();
        if (peek() == close) {
            ++pos_;
            return true;
        }
        for (;;) {
            if (open == '{') {
                if (peek() != '"') return fail("a member name (a JSON text in double quotes) is missing");
                if (!string(nullptr)) return false;
                skipSpace();
                if (peek() != ':') return fail("':' is missing after a member name");
                ++pos_;
                skipSpace();
            }
            if (!skipValue(depth + 1)) return false;
            skipSpace();
            if (peek() == ',') {
                ++pos_;
                skipSpace();
                continue;
            }
            if (peek() != close) return fail("',' or a closing bracket is missing");
            ++pos_;
            return true;
        }
    }

    bool literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return fail("a JSON value is expected here");
        pos_ += word.size();
        return true;
    }

    // -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?, kept as written.
    bool number(std::string* out) {
        const std::size_t start = pos_;
        if (peek() == '-') ++pos_;
        if (peek() == '0') {
            ++pos_;
            if (isDigit(peek()))
                return fail("a number starts with 0 and more digits, which JSON does not allow");
        } else if (isDigit(peek())) {
            while (isDigit(peek())) ++pos_;
        } else {
            return fail("a JSON value is expected here");
        }
        if (peek() == '.') {
            ++pos_;
            if (!isDigit(peek())) return fail("a number has no digit after its decimal point");
            while (isDigit(peek())) ++pos_;
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') ++pos_;
            if (!isDigit(peek())) return fail("a number has no digit in its exponent");
            while (isDigit(peek())) ++pos_;
        }
        if (out != nullptr) out->assign(text_.substr(start, pos_ - start));
        return true;
    }

    bool hex4(std::uint32_t& value) {
        if (text_.size() - pos_ < 4) return fail("a \\u escape needs four hexadecimal digits");
        value = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = text_[pos_++];
            value <<= 4;
            if (c >= '0' && c <= '9') {
                value |= static_cast<std::uint32_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                value |= static_cast<std::uint32_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                value |= static_cast<std::uint32_t>(c - 'A' + 10);
            } else {
                return fail("a \\u escape needs four hexadecimal digits");
            }
        }
        return true;
    }

    // A text in double quotes, its escapes decoded into *out (if given).
    bool string(std::string* out) {
        ++pos_;  // the opening quote
        for (;;) {
            const std::size_t runStart = pos_;
            while (pos_ < text_.size() && text_[pos_] != '"' && text_[pos_] != '\\' &&
                   static_cast<unsigned char>(text_[pos_]) >= 0x20)
                ++pos_;
            if (out != nullptr) out->append(text_.substr(runStart, pos_ - runStart));
            if (pos_ == text_.size()) return fail("a text has no closing double quote");
            const char c = text_[pos_++];
            if (c == '"') return true;
            if (c != '\\')
                return fail("a control character in a text must be escaped (\\n, \\t, \\u0001...)");
            if (pos_ == text_.size()) return fail("a text has no closing double quote");
            const char escape = text_[pos_++];
            if (const char plain = simpleEscape(escape); plain != 0) {
                if (out != nullptr) out->push_back(plain);
                continue;
            }
            if (escape != 'u') {
                return fail(
                    "a text holds an unknown escape (JSON knows \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)");
            }
            std::uint32_t cp;
            if (!hex4(cp)) return false;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("a \\u escape holds half of a surrogate pair");
            if (cp >= 0xD800 && cp <= 0xDBFF) {  // the first half: the second must follow
                std::uint32_t low;
                if (text_.substr(pos_, 2) != "\\u")
                    return fail("a \\u escape holds half of a surrogate pair");
                pos_ += 2;
                if (!hex4(low)) return false;
                if (low < 0xDC00 || low > 0xDFFF) return fail("a \\u escape holds half of a surrogate pair");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            if (out != nullptr) appendUtf8(*out, cp);
        }
    }

    std::string_view text_;
    LineProblem& problem_;
    std::size_t pos_ = 0;
    std::size_t column_ = 0;  // the wanted column being read, 0 elsewhere
};

}  // namespace

bool parseObjectLine(std::string_view line, const std::vector<std::string>& columns,
                     std::vector<std::string>& cells, LineProblem& problem) {
    problem = {};
    if (sdk::firstInvalidUtf8(line) != line.size()) {
        problem.what = "the line is not valid UTF-8; export the file as UTF-8";
        return false;
    }
    return ObjectLineParser(line, problem).object(columns, cells);
}

}  // namespace passerelle::jsonl
