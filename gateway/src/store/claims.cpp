#include "store/table_access.h"

namespace passerelle::store {

bool claimIsFree(const std::string& owner, std::int64_t until, const Claim& claim) {
    return owner.empty() || until <= claim.now || ownerIsGone(owner);
}

std::string claimCondition(ClaimPass pass, const std::string& owner, const std::string& until) {
    return pass == ClaimPass::ThisHost ? "(" + owner + " LIKE ? ESCAPE '!' AND " + until + " > ?)"
                                       : "(" + owner + " = '' OR " + until + " <= ?)";
}

std::string thisHostPattern() {
    const std::string self = processOwner();
    std::string pattern;
    for (char c : self.substr(0, self.rfind(':') + 1)) {
        if (c == '%' || c == '_' || c == '!') pattern += '!';
        pattern += c;
    }
    return pattern + "%";
}

}  // namespace passerelle::store
