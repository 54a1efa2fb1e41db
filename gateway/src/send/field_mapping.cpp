#include "send/field_mapping.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "common/errors.h"
#include "record/field_syntax.h"

namespace passerelle::exchange {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::size_t columnIndex(const config::GatewayConfig& config, const config::JobSettings& job,
                        const config::ColumnMapping& m, const std::vector<std::string_view>& columns) {
    auto it = std::find(columns.begin(), columns.end(), m.column);
    if (it == columns.end()) {
        it = std::find_if(columns.begin(), columns.end(),
                          [&](std::string_view c) { return lower(c) == lower(m.column); });
    }
    if (it == columns.end()) {
        std::string known;
        for (std::string_view c : columns) known += (known.empty() ? "" : ", ") + std::string(c);
        throw ConfigError(config.file.string() + ": key 'job." + job.name + ".map." +
                          std::string(record::nameOf(m.field)) + "': column '" + m.column +
                          "' is not in the export's header (its columns are: " + known + ")");
    }
    return static_cast<std::size_t>(it - columns.begin());
}

}  // namespace

FieldMapping::FieldMapping(const config::GatewayConfig& config, const config::JobSettings& job,
                           const std::vector<std::string_view>& columns)
    : valueMaps_(job.valueMaps) {
    for (const config::ColumnMapping& m : job.mapping) {
        columns_.emplace_back(m.field, columnIndex(config, job, m, columns));
        fields_.push_back(m.field);
    }
    for (const config::ConstantField& c : job.constants) {
        constants_.emplace_back(c.field, c.value);
        fields_.push_back(c.field);
    }
    // Every record names its institution: the export's or the job's own UAI if
    // it gives one, this gateway's otherwise.
    if (std::find(fields_.begin(), fields_.end(), record::Field::institution_uai) == fields_.end()) {
        constants_.emplace_back(record::Field::institution_uai, config.uai);
        fields_.push_back(record::Field::institution_uai);
    }
    std::sort(fields_.begin(), fields_.end());
}

void FieldMapping::apply(const psl_row& row, record::TraineeRecord& record,
                         std::vector<record::FieldProblem>& problems) const {
    record.clear();
    record.sourceLine = row.line;
    for (const auto& [field, index] : columns_) {
        if (index < row.cell_count) {
            record.set(field, std::string_view(row.cells[index].data, row.cells[index].size));
        }
    }
    for (const auto& [field, value] : constants_) record.set(field, value);
    for (const config::ValueMap& map : valueMaps_) {
        if (!record.isPresent(map.field)) continue;
        if (const std::string* to = map.find(record.get(map.field))) {
            record.set(map.field, *to);
        } else if (map.strict && !record::trimmed(record.get(map.field)).empty()) {
            const std::string name(record::nameOf(map.field));
            problems.push_back(
                {map.field, "value is not listed in the job's values." + name +
                                " map, which is strict: add it to the map or correct the export"});
        }
    }
}

}  // namespace passerelle::exchange
