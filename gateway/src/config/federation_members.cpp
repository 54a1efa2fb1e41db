#include "config/federation_members.h"

#include <fstream>
#include <set>
#include <sstream>

#include "common/errors.h"
#include "common/identifiers.h"
#include "record/field_syntax.h"

namespace passerelle::config {

namespace {

std::string trimmed(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r");
    return std::string(s.substr(first, last - first + 1));
}

}  // namespace

std::vector<FederationMember> parseFederationMembers(std::string_view text, const std::filesystem::path& file) {
    std::vector<FederationMember> members;
    std::set<std::string> uais, parties;
    std::size_t number = 0;
    std::istringstream in{std::string(text)};
    for (std::string raw; std::getline(in, raw);) {
        ++number;
        const std::string where = file.string() + ":" + std::to_string(number) + ": ";
        const std::string line = trimmed(raw.substr(0, raw.find('#')));
        if (line.empty()) continue;
        std::istringstream fields(line);
        FederationMember member;
        fields >> member.uai >> member.party;
        std::getline(fields, member.name);
        member.name = trimmed(member.name);
        if (member.party.empty()) {
            throw ConfigError(where + "expected 'UAI party-id Name', e.g. '0342321N univ-montpellier Université de "
                                      "Montpellier'");
        }
        if (!record::isUaiShape(member.uai)) {
            throw ConfigError(where + "the UAI is not 7 digits and a capital letter");
        }
        if (!record::uaiCheckLetterMatches(member.uai)) {
            throw ConfigError(where + "the UAI's check letter does not match its 7 digits: check it in the "
                                      "national directory (RAMSESE)");
        }
        if (!identifier_rules::Name::accepts(member.party)) {
            throw ConfigError(where + "the party id must be " + identifier_rules::Name::kRule);
        }
        if (!uais.insert(member.uai).second) throw ConfigError(where + "UAI " + member.uai + " is listed twice");
        if (!parties.insert(member.party).second) {
            throw ConfigError(where + "party id '" + member.party + "' is listed twice");
        }
        members.push_back(std::move(member));
    }
    return members;
}

std::vector<FederationMember> readFederationMembers(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError(file.string() + " cannot be read (the federation's members list)");
    std::ostringstream text;
    text << in.rdbuf();
    return parseFederationMembers(text.str(), file);
}

}  // namespace passerelle::config
