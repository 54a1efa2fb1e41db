#include "audit/objections.h"

#include "common/clock.h"

#include <algorithm>

namespace passerelle::exchange {

namespace {

constexpr const char* kActor = "operator";
constexpr const char* kReason = "GDPR art. 21";

}  // namespace

ObjectionChange changeObjection(Gateway& gateway, const config::PurposeSettings& purpose,
                                const config::JobSettings& job, const TraineeLookup& lookup, bool add) {
    // Under every held key epoch, the current one first.
    const std::vector<std::string> pseudonyms = traineePseudonyms(gateway, job, lookup);
    store::StateStore& store = gateway.store();

    std::string pseudonym = pseudonyms.front();  // the one reported
    bool changed = false;
    if (add) {
        // An objection under an older epoch is already honoured; the next batch that meets
        // the trainee moves it to the current epoch (docs/privacy.md).
        const store::PseudonymSet recorded = store.objections().objectionSet(purpose.id);
        const auto it = std::find_if(pseudonyms.begin(), pseudonyms.end(),
                                     [&](const std::string& p) { return recorded.contains(p); });
        if (it != pseudonyms.end()) {
            pseudonym = *it;
        } else {
            changed = store.objections().addObjection({purpose.id, pseudonym, formatUtc(SystemClock().now())});
        }
    } else {
        for (const std::string& p : pseudonyms) {
            if (store.objections().removeObjection(purpose.id, p) && !changed) {
                changed = true;
                pseudonym = p;
            }
        }
    }
    ObjectionChange result;
    result.changed = changed;
    result.pseudonym = pseudonym;
    result.olderEpoch = pseudonym != pseudonyms.front();
    if (!changed) return result;
    // The ledger says that an objection changed, and for which purpose; never whose.
    ledger::LedgerEntry entry = add ? ledger::LedgerEntry::of(ledger::Operation::ObjectionAdded,
                                                              ledger::Outcome::Recorded, kActor, kReason)
                                    : ledger::LedgerEntry::of(ledger::Operation::ObjectionRemoved,
                                                              ledger::Outcome::Removed, kActor, kReason);
    entry.purpose = purpose.id;
    entry.legalBasis = purpose.legalBasis;
    entry.recordCount = 1;
    result.ledgerIndex = gateway.ledger().append(entry);
    return result;
}

}  // namespace passerelle::exchange
