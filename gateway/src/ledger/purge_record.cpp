#include "ledger/purge_record.h"

#include <algorithm>
#include <limits>

#include "ledger/operation.h"

namespace passerelle::ledger {
namespace {

constexpr std::string_view kPurgeReasonHead = "entry bytes older than ";
constexpr std::string_view kPurgeReasonDays = " days blanked";
constexpr std::string_view kPurgeReasonThrough = " through entry ";
constexpr std::string_view kPurgeReasonTail = "; their hashes remain";

std::optional<std::uint64_t> decimal(std::string_view text) {
    if (text.empty() || text.size() > 19 || !std::all_of(text.begin(), text.end(), [](char c) {
            return c >= '0' && c <= '9';
        })) {
        return std::nullopt;
    }
    return std::stoull(std::string(text));
}

}  // namespace

bool keptByRetention(const LedgerEntry& entry) {
    return entry.is(Operation::PayloadPurged) || entry.is(Operation::LedgerPurged);
}

std::string ledgerPurgeReason(std::uint32_t retentionDays, std::uint64_t throughIndex) {
    return std::string(kPurgeReasonHead) + std::to_string(retentionDays) + std::string(kPurgeReasonDays) +
           std::string(kPurgeReasonThrough) + std::to_string(throughIndex) + std::string(kPurgeReasonTail);
}

std::optional<PurgeRecord> parsePurgeReason(std::string_view reason) {
    if (!reason.starts_with(kPurgeReasonHead) || !reason.ends_with(kPurgeReasonTail)) return std::nullopt;
    reason.remove_prefix(kPurgeReasonHead.size());
    reason.remove_suffix(kPurgeReasonTail.size());
    const auto daysEnd = reason.find(kPurgeReasonDays);
    if (daysEnd == std::string_view::npos) return std::nullopt;
    const auto days = decimal(reason.substr(0, daysEnd));
    if (!days || *days > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
    PurgeRecord record{static_cast<std::uint32_t>(*days), 0};
    std::string_view rest = reason.substr(daysEnd + kPurgeReasonDays.size());
    if (rest.empty()) return record;
    if (!rest.starts_with(kPurgeReasonThrough)) return std::nullopt;
    const auto through = decimal(rest.substr(kPurgeReasonThrough.size()));
    if (!through) return std::nullopt;
    record.throughIndex = *through;
    return record;
}

}  // namespace passerelle::ledger
