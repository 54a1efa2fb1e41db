#include "record/identity_normalisation.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <stdexcept>

namespace passerelle::record {

namespace {

// Writes a name's characters to `out`, collapsing runs of spaces, trimming, and
// dropping spaces next to '-' or '\''. Characters arrive already mapped: every white
// space as ' ', every dash as '-', every apostrophe as '\''.
class SpacedWriter {
public:
    explicit SpacedWriter(std::string& out) : out_(out), start_(out.size()) {}
    void separator(char c) {
        if (c == ' ') {
            pendingSpace_ = true;
        } else {
            out_.push_back(c);
            pendingSpace_ = false;
            afterJoiner_ = true;
        }
    }
    void text(char c) {
        beforeText();
        out_.push_back(c);
    }
    void text(const char* p, std::size_t n) {
        beforeText();
        out_.append(p, n);
    }
    void undo() { out_.resize(start_); }

private:
    void beforeText() {
        if (pendingSpace_ && !afterJoiner_ && out_.size() > start_) {
            out_.push_back(' ');
        }
        pendingSpace_ = false;
        afterJoiner_ = false;
    }
    std::string& out_;
    std::size_t start_;
    bool pendingSpace_ = false;  // a space seen since the last character written
    bool afterJoiner_ = false;   // the last character written was '-' or '\''
};

bool isSeparator(char c) { return c == ' ' || c == '-' || c == '\''; }

char mapAscii(char c) {
    if (c >= 'A' && c <= 'Z') {
        return static_cast<char>(c - 'A' + 'a');
    }
    if (c == ' ' || (c >= '\t' && c <= '\r')) {  // the ASCII Unicode White_Space characters
        return ' ';
    }
    if (c == '`') {
        return '\'';
    }
    if (c == '|') {  // the identity's separator never appears inside a name
        return '/';
    }
    return c;
}

// The separator a three-byte UTF-8 sequence E2 b1 b2 maps to, or 0: the spaces
// U+2000-U+200A, U+2028, U+2029, U+202F, U+205F; the dashes U+2010-U+2015, U+2212;
// the apostrophes U+2018, U+2019.
char typographicSeparator(unsigned char b1, unsigned char b2) {
    if (b1 == 0x80) {
        if (b2 <= 0x8A || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF) return ' ';
        if (b2 >= 0x90 && b2 <= 0x95) return '-';
        if (b2 == 0x98 || b2 == 0x99) return '\'';
    } else if (b1 == 0x81 && b2 == 0x9F) {
        return ' ';
    } else if (b1 == 0x88 && b2 == 0x92) {
        return '-';
    }
    return 0;
}

// French names without ICU: ASCII plus the precomposed letters of Latin-1 (U+00C0-U+00FF),
// U+00A0 (no-break space), U+00B4 (acute accent, an apostrophe here), Œ/œ and the
// typographic spaces, dashes and apostrophes above. These are
// already NFC and fold by a fixed rule; a combining mark or any other character returns
// false with `out` unchanged, and the caller takes the ICU path. A test checks every
// character handled here against ICU.
bool appendLatin1(std::string& out, std::string_view in) {
    SpacedWriter w(out);
    for (std::size_t i = 0; i < in.size();) {
        const auto lead = static_cast<unsigned char>(in[i]);
        if (lead < 0x80) {
            const char c = mapAscii(in[i]);
            isSeparator(c) ? w.separator(c) : w.text(c);
            ++i;
            continue;
        }
        if (lead == 0xE2 && i + 2 < in.size()) {  // typographic punctuation of U+2000-U+203F, U+2212
            const char sep = typographicSeparator(static_cast<unsigned char>(in[i + 1]),
                                                  static_cast<unsigned char>(in[i + 2]));
            if (sep == 0) {
                w.undo();
                return false;
            }
            w.separator(sep);
            i += 3;
            continue;
        }
        if ((lead != 0xC2 && lead != 0xC3 && lead != 0xC5) || i + 1 >= in.size()) {
            w.undo();
            return false;
        }
        const auto next = static_cast<unsigned char>(in[i + 1]);
        if (next < 0x80 || next > 0xBF) {
            w.undo();
            return false;
        }
        unsigned cp = ((lead & 0x1Fu) << 6) | (next & 0x3Fu);
        i += 2;
        if (cp == 0xA0) {
            w.separator(' ');
            continue;
        }
        if (cp == 0xB4) {
            w.separator('\'');
            continue;
        }
        if (cp == 0xDF) {  // ß folds to "ss"
            w.text("ss", 2);
            continue;
        }
        if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) {
            cp += 0x20;  // À..Þ -> à..þ
        } else if (cp == 0x152) {
            cp = 0x153;  // Œ -> œ
        } else if (!(cp >= 0xD7 && cp <= 0xFF) && cp != 0x153) {
            w.undo();
            return false;
        }
        const char bytes[2] = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
        w.text(bytes, 2);
    }
    return true;
}

bool isApostrophe(UChar32 c) {
    switch (c) {
        case 0x0027:  // '
        case 0x0060:  // `
        case 0x00B4:  // ´
        case 0x02BC:  // ʼ modifier letter apostrophe
        case 0x2018:  // ‘ (often typed for ’)
        case 0x2019:  // ’
            return true;
        default:
            return false;
    }
}

UChar32 mapCodePoint(UChar32 c) {
    if (u_isUWhiteSpace(c)) {
        return ' ';
    }
    if (u_charType(c) == U_DASH_PUNCTUATION || c == 0x2212) {
        return '-';
    }
    if (isApostrophe(c)) {
        return '\'';
    }
    if (c == '|') {
        return '/';
    }
    return c;
}

struct Normalisers {
    const icu::Normalizer2* nfd = nullptr;
    const icu::Normalizer2* nfc = nullptr;
};

const Normalisers& normalisers() {
    static const Normalisers n = [] {
        UErrorCode status = U_ZERO_ERROR;
        Normalisers r;
        r.nfd = icu::Normalizer2::getNFDInstance(status);
        r.nfc = icu::Normalizer2::getNFCInstance(status);
        if (U_FAILURE(status)) {
            throw std::runtime_error(std::string("ICU normalisation data unavailable: ") +
                                     u_errorName(status));
        }
        return r;
    }();
    return n;
}

}  // namespace

namespace detail {

void appendNormalisedNameIcu(std::string& out, std::string_view utf8) {
    const Normalisers& n = normalisers();
    UErrorCode status = U_ZERO_ERROR;
    const icu::UnicodeString input =
        icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
    // NFC(fold(NFD(x))): folding a decomposed string, then composing, is Unicode's
    // canonical caseless form written in NFC.
    icu::UnicodeString folded = n.nfd->normalize(input, status);
    folded.foldCase(U_FOLD_CASE_DEFAULT);
    const icu::UnicodeString composed = n.nfc->normalize(folded, status);
    if (U_FAILURE(status)) {
        throw std::runtime_error(std::string("ICU normalisation failed: ") + u_errorName(status));
    }
    icu::UnicodeString mapped;
    for (int32_t i = 0; i < composed.length();) {
        const UChar32 c = composed.char32At(i);
        mapped.append(mapCodePoint(c));
        i += U16_LENGTH(c);
    }
    std::string bytes;
    mapped.toUTF8String(bytes);
    SpacedWriter w(out);
    for (const char c : bytes) {
        isSeparator(c) ? w.separator(c) : w.text(c);
    }
}

}  // namespace detail

void appendNormalisedName(std::string& out, std::string_view utf8) {
    if (!appendLatin1(out, utf8)) {
        detail::appendNormalisedNameIcu(out, utf8);
    }
}

namespace detail {
bool appendNormalisedNameLatin1(std::string& out, std::string_view utf8) { return appendLatin1(out, utf8); }
}  // namespace detail

std::string normaliseName(std::string_view utf8) {
    std::string out;
    appendNormalisedName(out, utf8);
    return out;
}

}  // namespace passerelle::record
