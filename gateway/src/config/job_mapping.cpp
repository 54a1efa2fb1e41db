#include "config/job_mapping.h"

#include <algorithm>
#include <map>
#include <optional>

#include "common/errors.h"
#include "record/field_syntax.h"
#include "record/record_validator.h"

namespace passerelle::config {

namespace {

std::string entryText(std::size_t entry) { return "entry " + std::to_string(entry); }

void skipBlanks(std::string_view text, std::size_t& pos) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
}

bool arrowAt(std::string_view text, std::size_t pos) { return text.substr(pos, 2) == "=>"; }

// One side of an entry, from `pos` up to the next '|', '=>' or the end.
std::string readSide(std::string_view text, std::size_t& pos, std::size_t entry, std::string_view side) {
    skipBlanks(text, pos);
    std::string value;
    if (pos < text.size() && text[pos] == '"') {
        for (++pos;; ++pos) {
            if (pos == text.size()) {
                throw ConfigError(entryText(entry) + ": the quoted '" + std::string(side) +
                                  "' value has no closing quote (double a quote inside it: \"\")");
            }
            if (text[pos] == '"') {
                if (pos + 1 < text.size() && text[pos + 1] == '"') {
                    value += '"';
                    ++pos;
                    continue;
                }
                ++pos;
                break;
            }
            value += text[pos];
        }
        skipBlanks(text, pos);
        if (pos < text.size() && text[pos] != '|' && !arrowAt(text, pos)) {
            throw ConfigError(entryText(entry) + ": text follows the closing quote of the '" +
                              std::string(side) + "' value (double a quote inside a quoted value: \"\")");
        }
        return std::string(record::trimmed(value));
    }
    while (pos < text.size() && text[pos] != '|' && !arrowAt(text, pos)) value += text[pos++];
    value = std::string(record::trimmed(value));
    if (value.empty()) {
        throw ConfigError(
            entryText(entry) + ": the '" + std::string(side) +
            "' value is empty; write \"\" for an empty cell, and separate entries with one '|'");
    }
    return value;
}

// The value as the validator would keep it, or the reason it refuses it.
std::optional<std::string> refusal(record::Field field, std::string_view value) {
    record::TraineeRecord probe;
    probe.set(field, value);
    const auto problems = record::RecordValidator({}).normalise(probe);
    if (problems.empty()) return std::nullopt;
    return problems.front().reason;
}

std::string fieldName(record::Field f) { return std::string(record::nameOf(f)); }

record::Field readField(const ConfigReader& r, const std::string& key, const std::string& name) {
    const auto field = record::fieldFromName(name);
    if (!field) {
        r.fail(key, "'" + name + "' is not a field of the trainee record (see docs/configuration.md)");
    }
    if (*field == record::Field::pseudonym) {
        r.fail(key, "the pseudonym is computed by the gateway, not read from the export");
    }
    return *field;
}

bool isMapped(const JobSettings& job, record::Field f) {
    return std::any_of(job.mapping.begin(), job.mapping.end(),
                       [f](const ColumnMapping& m) { return m.field == f; });
}

const ConstantField* constantOf(const JobSettings& job, record::Field f) {
    auto it = std::find_if(job.constants.begin(), job.constants.end(),
                           [f](const ConstantField& c) { return c.field == f; });
    return it == job.constants.end() ? nullptr : &*it;
}

void readColumns(const ConfigReader& r, const std::string& section, JobSettings& job) {
    for (const std::string& name : r.leaves(section + ".map")) {
        const std::string key = section + ".map." + name;
        job.mapping.push_back({readField(r, key, name), r.required(key)});
    }
    if (job.mapping.empty()) {
        r.fail(section + ".map", "a job needs at least one map.<field> = <column> line");
    }
}

void readConstants(const ConfigReader& r, const std::string& section, JobSettings& job) {
    for (const std::string& name : r.leaves(section + ".const")) {
        const std::string key = section + ".const." + name;
        const record::Field field = readField(r, key, name);
        if (isMapped(job, field)) {
            r.fail(key, "field '" + name + "' is also read from the export by " + section + ".map." + name +
                            "; keep one of the two keys");
        }
        job.constants.push_back({field, r.required(key)});
    }
}

void readValueMaps(const ConfigReader& r, const std::string& section, JobSettings& job) {
    std::map<std::string, bool> strictFlags;  // field name -> values.<field>.strict
    std::vector<std::string> names;
    for (const std::string& leaf : r.leaves(section + ".values")) {
        const std::string key = section + ".values." + leaf;
        const auto dot = leaf.find('.');
        if (dot == std::string::npos) {
            names.push_back(leaf);
        } else if (leaf.substr(dot + 1) == "strict" && leaf.find('.', dot + 1) == std::string::npos) {
            strictFlags[leaf.substr(0, dot)] = r.flag(key, false);
        } else {
            r.fail(key,
                   "unknown key: a value map is values.<field> = from => to | ..., and "
                   "values.<field>.strict = true|false (see docs/configuration.md)");
        }
    }
    for (const auto& [name, strict] : strictFlags) {
        if (std::find(names.begin(), names.end(), name) == names.end()) {
            r.fail(section + ".values." + name + ".strict",
                   "there is no " + section + ".values." + name + " map for it to apply to");
        }
    }
    for (const std::string& name : names) {
        const std::string key = section + ".values." + name;
        ValueMap map;
        map.field = readField(r, key, name);
        if (!isMapped(job, map.field) && constantOf(job, map.field) == nullptr) {
            r.fail(key, "field '" + name + "' is neither mapped (map." + name + ") nor constant (const." +
                            name + "), so there is no value to replace");
        }
        try {
            map.entries = parseValueMap(r.required(key));
        } catch (const ConfigError& e) {
            r.fail(key, std::string(e.what()) + " (expected: from => to | from => to | ...)");
        }
        for (std::size_t i = 0; i < map.entries.size(); ++i) {
            const std::string& to = map.entries[i].to;
            if (to.empty()) continue;  // "" clears the field: its absence is checked per row
            if (const auto why = refusal(map.field, to)) {
                r.fail(key, entryText(i + 1) + ": the replacement is not a valid " + name + ": " + *why);
            }
        }
        auto strict = strictFlags.find(name);
        map.strict = strict != strictFlags.end() && strict->second;
        job.valueMaps.push_back(std::move(map));
    }
}

// A constant is the same on every row, so whatever the row would refuse in it
// is refused here once, at load time.
void checkConstants(const ConfigReader& r, const std::string& section, const JobSettings& job) {
    for (const ConstantField& c : job.constants) {
        const std::string key = section + ".const." + fieldName(c.field);
        std::string value = c.value;
        auto map = std::find_if(job.valueMaps.begin(), job.valueMaps.end(),
                                [&](const ValueMap& m) { return m.field == c.field; });
        if (map != job.valueMaps.end()) {
            if (const std::string* to = map->find(value)) {
                value = *to;
            } else if (map->strict) {
                r.fail(key, "the constant is not listed in " + section + ".values." + fieldName(c.field) +
                                ", which is strict: every row would be refused");
            }
        }
        if (value.empty()) continue;
        if (const auto why = refusal(c.field, value)) {
            r.fail(key, "not a valid " + fieldName(c.field) + ": " + *why);
        }
    }
}

}  // namespace

const std::string* ValueMap::find(std::string_view value) const {
    const std::string_view key = record::trimmed(value);
    for (const Entry& e : entries) {
        if (e.from == key) return &e.to;
    }
    return nullptr;
}

std::vector<ValueMap::Entry> parseValueMap(std::string_view text) {
    std::vector<ValueMap::Entry> entries;
    std::size_t pos = 0;
    for (std::size_t entry = 1;; ++entry) {
        ValueMap::Entry e;
        e.from = readSide(text, pos, entry, "from");
        if (!arrowAt(text, pos)) {
            throw ConfigError(entryText(entry) + " has no '=>' between its two values");
        }
        pos += 2;
        e.to = readSide(text, pos, entry, "to");
        if (arrowAt(text, pos)) {
            throw ConfigError(entryText(entry) + " has a second '=>'; quote a value that holds '=>' or '|'");
        }
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (entries[i].from == e.from) {
                throw ConfigError(entryText(entry) + " replaces the same value as " + entryText(i + 1) +
                                  "; keep one of them");
            }
        }
        entries.push_back(std::move(e));
        if (pos == text.size()) return entries;
        ++pos;  // the '|'
        std::size_t rest = pos;
        skipBlanks(text, rest);
        if (rest == text.size()) {
            throw ConfigError("the map ends with '|' after " + entryText(entry) +
                              "; remove it or add an entry");
        }
    }
}

void readJobMapping(const ConfigReader& r, const std::string& section, JobSettings& job) {
    readColumns(r, section, job);
    readConstants(r, section, job);
    readValueMaps(r, section, job);
    checkConstants(r, section, job);
}

}  // namespace passerelle::config
