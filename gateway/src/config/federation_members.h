#pragma once
// Who may enrol in the federation (docs/federation.md): the Region's `[ca] members`
// file, one signatory a line, `UAI party-id Name…`, `#` comments. Read and checked
// with the configuration, so check-config names a wrong line.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::config {

struct FederationMember {
    std::string uai;    // 7 digits and its check letter
    std::string party;  // party id
    std::string name;   // the institution's name, may be empty
};

// Parses the text of `file` (named in every message); ConfigError naming the file
// and the line for a bad UAI shape or check letter, a bad party id, or a UAI or
// party id listed twice.
std::vector<FederationMember> parseFederationMembers(std::string_view text, const std::filesystem::path& file);
std::vector<FederationMember> readFederationMembers(const std::filesystem::path& file);

}  // namespace passerelle::config
