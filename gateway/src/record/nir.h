#pragma once
// Detection of French social-security numbers (NIR). passerelle never accepts
// one, whatever column it arrives in (docs/configuration.md, "Trainee record fields").

#include <string_view>

namespace passerelle::record {

// True when the whole value is a NIR with a matching key: 13 characters
// (sex 1/2/3/7/8, year, month, département — 2A/2B for Corsica —, commune,
// order) then a 2-digit key equal to 97 - (number mod 97), where 2A counts as
// 19 and 2B as 18. Spaces, dots and dashes between groups are ignored, since
// people copy the number in the printed "1 85 05 78 006 084 91" form.
bool looksLikeNir(std::string_view value);

}  // namespace passerelle::record
