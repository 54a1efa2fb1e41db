#include "privacy/key_history.h"

#include "common/clock.h"

namespace passerelle::privacy {

namespace {

std::string interval(const KeyPeriod& k) {
    return std::string("valid from ") + (k.validFrom ? formatUtc(*k.validFrom) : "an unrecorded time") +
           (k.validUntil ? " until " + formatUtc(*k.validUntil) : ", no end recorded");
}

}  // namespace

SignKeyLookup signKeyValidAt(const PublicKeys& keys, const std::string& keyId, const std::string& signedAt) {
    const std::string who = "key " + keyId + " of '" + keys.party + "'";
    for (const KeyPeriod& k : keys.signHistory()) {
        if (k.id() != keyId) {
            continue;
        }
        const auto at = parseUtc(signedAt);
        if (!at) {
            return {std::nullopt, "the document signed with " + who + " is dated '" + signedAt +
                                      "', not an RFC 3339 UTC time: its key cannot be told"};
        }
        if (k.validFrom && *at < *k.validFrom - kKeyClockSkew) {
            return {std::nullopt, "the document is dated " + signedAt + ", before " + who + " was in use (" +
                                      interval(k) + ")"};
        }
        if (k.validUntil && *at > *k.validUntil + kKeyClockSkew) {
            return {std::nullopt, "the document is dated " + signedAt + ", after " + who + " was retired (" +
                                      interval(k) + "): a retired key signs nothing new"};
        }
        return {SignPublicKey{k.key}, {}};
    }
    return {std::nullopt, who + " is neither its current signing key nor one in its key history (give this "
                               "gateway the party's latest public.keys, which lists its retired keys)"};
}

SignKeyLookup liveSignKey(const PublicKeys& keys, const std::string& keyId, const std::string& signedAt,
                          KeyTime now) {
    SignKeyLookup found = signKeyValidAt(keys, keyId, signedAt);
    if (!found.key || *found.key == keys.sign) {
        return found;
    }
    for (const KeyPeriod& k : keys.retiredSign) {
        // A key retired before retirement times were recorded: when is unknown, so not live.
        if (k.id() == keyId && (!k.validUntil || now > *k.validUntil + kRetiredKeyOverlap)) {
            return {std::nullopt, "key " + keyId + " of '" + keys.party + "' was retired " +
                                      (k.validUntil ? "on " + formatUtc(*k.validUntil) + ", more than 7 days ago"
                                                    : "at an unrecorded time") +
                                      ": new documents of '" + keys.party + "' must be signed with its current key " +
                                      keys.sign.id()};
        }
    }
    return found;
}

}  // namespace passerelle::privacy
