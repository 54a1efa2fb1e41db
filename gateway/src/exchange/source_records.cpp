#include "exchange/source_records.h"

#include "common/errors.h"

#include <algorithm>
#include <cctype>

namespace passerelle::exchange {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// Finds each mapped column in the export's header, exactly or ignoring case.
std::vector<std::pair<record::Field, std::size_t>> resolveColumns(const config::GatewayConfig& config,
                                                                  const config::JobSettings& job,
                                                                  const std::vector<std::string_view>& columns) {
    std::vector<std::pair<record::Field, std::size_t>> resolved;
    for (const config::ColumnMapping& m : job.mapping) {
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
        resolved.emplace_back(m.field, static_cast<std::size_t>(it - columns.begin()));
    }
    return resolved;
}

}  // namespace

SourceRecords::SourceRecords(const config::GatewayConfig& config, const config::JobSettings& job,
                             std::vector<record::Field> required, const Filter& filter)
    : config_(config), validator_(std::move(required)) {
    auto plugin = plugin::SourcePlugin::load(config.pluginsDir, job.source);
    const psl_source_filter pluginFilter{filter.exitFrom.c_str(), filter.exitTo.c_str(), filter.since.c_str()};
    reader_ = plugin->open(job.sourceSettings, &pluginFilter);
    columns_ = resolveColumns(config, job, reader_->columns());
    uaiMapped_ = std::any_of(job.mapping.begin(), job.mapping.end(), [](const config::ColumnMapping& m) {
        return m.field == record::Field::institution_uai;
    });
}

SourceRecords::~SourceRecords() = default;

SourceRecords::Step SourceRecords::next(record::TraineeRecord& record) {
    psl_row row{};
    psl_error err{};
    const auto step = reader_->next(row, err);
    if (step == plugin::SourceReader::Step::End) return Step::End;
    ++rowsRead_;
    if (step == plugin::SourceReader::Step::RowError) {
        if (onRefused_) onRefused_(err.line, err.column ? "column " + std::to_string(err.column) : "row", err.message);
        return Step::Refused;
    }
    record.clear();
    record.sourceLine = row.line;
    for (const auto& [field, index] : columns_) {
        if (index < row.cell_count) {
            record.set(field, std::string_view(row.cells[index].data, row.cells[index].size));
        }
    }
    if (!uaiMapped_) {
        record.set(record::Field::institution_uai, config_.uai);
    }
    const auto problems = validator_.normalise(record);
    if (!problems.empty()) {
        if (onRefused_) {
            for (const auto& p : problems) onRefused_(row.line, record::nameOf(p.field), p.reason);
        }
        return Step::Refused;
    }
    return Step::Record;
}

TraineeLookup TraineeLookup::localId(std::string_view typed) {
    return {By::LocalStudentId, std::string(trimmed(typed))};
}

TraineeLookup TraineeLookup::ine(std::string_view typed) {
    std::string value(trimmed(typed));
    std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::toupper(c); });
    return {By::Ine, std::move(value)};
}

std::string TraineeLookup::describe() const {
    return (by == By::Ine ? "INE " : "local id ") + value;
}

std::optional<record::TraineeRecord> findTrainee(const config::GatewayConfig& config,
                                                 const config::JobSettings& job, const TraineeLookup& lookup) {
    const record::Field key = lookup.by == TraineeLookup::By::Ine ? record::Field::ine : record::Field::local_student_id;
    const bool mapped = std::any_of(job.mapping.begin(), job.mapping.end(),
                                    [&](const config::ColumnMapping& m) { return m.field == key; });
    if (!mapped || lookup.value.empty()) return std::nullopt;
    SourceRecords source(config, job, config.purpose(job.purpose).required);
    record::TraineeRecord record;
    for (;;) {
        const auto step = source.next(record);
        if (step == SourceRecords::Step::End) return std::nullopt;
        if (step == SourceRecords::Step::Record && record.get(key) == lookup.value) return record;
    }
}

}  // namespace passerelle::exchange
