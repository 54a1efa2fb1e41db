#pragma once
// Normalisation of a trainee's names before they enter the identity a pseudonym
// is computed over (identity v2, see identity.h and docs/privacy.md "Pseudonyms").
// Changing anything here changes pseudonyms: bump the identity version instead.

#include <string>
#include <string_view>

namespace passerelle::record {

// Identity normalisation, version 2, applied in this order:
//  1. Unicode NFC (a composed "é" and "e" + U+0301 are the same name);
//  2. Unicode default case folding ("DUPONT" = "dupont", "Strauß" = "strauss");
//  3. every Unicode white space collapsed to one ' ', leading and trailing removed;
//  4. every dash (Unicode Dash_Punctuation, U+2212 minus) becomes '-', with the
//     spaces around it removed ("Jean – Baptiste" = "jean-baptiste");
//  5. apostrophes ’ ‘ ʼ ` ´ ' become '\'', with the spaces around removed
//     ("N’DIAYE" = "n'diaye");
//  6. '|', the separator of the identity string, becomes '/', so a name can never
//     shift the boundary between two parts of the identity.
// Accents are kept (é ≠ e): they distinguish real names ("Lefèvre"/"Lefevre" are
// different families), and stripping them would merge more homonyms.
// ASCII and precomposed Latin-1 letters (all of French) never touch ICU.
std::string normaliseName(std::string_view utf8);

// The same, appended to `out` (no allocation once `out` has grown, for ASCII names).
void appendNormalisedName(std::string& out, std::string_view utf8);

namespace detail {
// The two paths alone, for tests that check the fast one agrees with ICU. The fast
// one returns false, leaving `out` unchanged, for input it does not handle.
void appendNormalisedNameIcu(std::string& out, std::string_view utf8);
bool appendNormalisedNameLatin1(std::string& out, std::string_view utf8);
}  // namespace detail

}  // namespace passerelle::record
