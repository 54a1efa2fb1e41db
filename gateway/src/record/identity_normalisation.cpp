#include "record/identity_normalisation.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <stdexcept>

namespace passerelle::record {

namespace {

// Appends `mapped` (white space already ' ', dashes '-', apostrophes '\'') to `out`,
// collapsing runs of spaces, trimming, and dropping spaces next to '-' or '\''.
// Only ASCII bytes are looked at, so UTF-8 multi-byte sequences pass through.
template <typename Map>
void appendSpaced(std::string& out, std::string_view in, Map map) {
    const std::size_t start = out.size();
    bool pendingSpace = false;  // a space seen since the last character written
    bool afterJoiner = false;   // the last character written was '-' or '\''
    for (const char raw : in) {
        const char c = map(raw);
        if (c == ' ') {
            pendingSpace = true;
        } else if (c == '-' || c == '\'') {
            out.push_back(c);
            pendingSpace = false;
            afterJoiner = true;
        } else {
            if (pendingSpace && !afterJoiner && out.size() > start) {
                out.push_back(' ');
            }
            out.push_back(c);
            pendingSpace = false;
            afterJoiner = false;
        }
    }
}

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

bool isAscii(std::string_view s) {
    for (const char c : s) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            return false;
        }
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
    appendSpaced(out, bytes, [](char c) { return c; });
}

}  // namespace detail

void appendNormalisedName(std::string& out, std::string_view utf8) {
    if (isAscii(utf8)) {
        appendSpaced(out, utf8, mapAscii);
    } else {
        detail::appendNormalisedNameIcu(out, utf8);
    }
}

std::string normaliseName(std::string_view utf8) {
    std::string out;
    appendNormalisedName(out, utf8);
    return out;
}

}  // namespace passerelle::record
