#include "receive/purpose_fields.h"

#include "record/field_catalog.h"

#include <algorithm>
#include <set>

namespace passerelle::exchange {

namespace {

// A name the peer wrote is repeated only when it is a plain field-like name: the
// reason goes to the ledger and the sender's error.
bool printable(const std::string& name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
           });
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

}  // namespace

std::optional<FieldsRefusal> fieldsRefusal(const std::vector<std::string>& fields,
                                           const config::PurposeSettings& purpose) {
    std::vector<std::string> defined;
    for (const record::Field f : purpose.fields) defined.emplace_back(record::nameOf(f));
    if (fields == defined) return std::nullopt;

    FieldsRefusal refusal;
    std::vector<std::string> unknown, forbidden, outside, missing, repeated;
    std::size_t unprintable = 0;
    std::set<std::string> seen;
    for (const std::string& name : fields) {
        if (!printable(name)) {
            ++unprintable;
            continue;
        }
        if (!seen.insert(name).second) {
            repeated.push_back(name);
            continue;
        }
        const auto field = record::fieldFromName(name);
        if (!field) {
            unknown.push_back(name);
        } else if (std::find(purpose.forbiddenClasses.begin(), purpose.forbiddenClasses.end(),
                             record::sensitivityOf(*field)) != purpose.forbiddenClasses.end()) {
            forbidden.push_back(config::fieldWithClass(*field));
        } else if (std::find(defined.begin(), defined.end(), name) == defined.end()) {
            outside.push_back(name);
        }
    }
    for (const std::string& name : defined) {
        if (!seen.contains(name)) missing.push_back(name);
    }

    std::vector<std::string> parts;
    if (!forbidden.empty()) parts.push_back("of a class the purpose forbids: " + joined(forbidden));
    if (!unknown.empty()) parts.push_back("not fields of the trainee record: " + joined(unknown));
    if (unprintable > 0) parts.push_back(std::to_string(unprintable) + " field name(s) that are not field names");
    if (!outside.empty()) parts.push_back("not among the purpose's fields: " + joined(outside));
    if (!repeated.empty()) parts.push_back("listed twice: " + joined(repeated));
    if (!missing.empty()) parts.push_back("missing: " + joined(missing));
    if (parts.empty()) parts.push_back("the same fields in another order than the purpose's");
    refusal.reason = "the batch's fields are not those of purpose '" + purpose.id + "' (" + joined(parts) +
                     "); the Region accepts exactly: " + joined(defined);
    for (const std::string& name : fields) {
        if (printable(name) && std::find(defined.begin(), defined.end(), name) == defined.end()) {
            refusal.offending.push_back(name);
        }
    }
    for (const std::string& name : repeated) refusal.offending.push_back(name);
    refusal.offending.insert(refusal.offending.end(), missing.begin(), missing.end());
    return refusal;
}

}  // namespace passerelle::exchange
