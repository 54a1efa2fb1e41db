#include "send/source_records.h"

#include "common/errors.h"

#include <algorithm>
#include <cctype>

namespace passerelle::exchange {

namespace {

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

}  // namespace

SourceRecords::SourceRecords(const config::GatewayConfig& config, const config::JobSettings& job,
                             std::vector<record::Field> required, const Filter& filter)
    : validator_(std::move(required)) {
    auto plugin = plugin::SourcePlugin::load(config.pluginsDir, job.source);
    const psl_source_filter pluginFilter{filter.exitFrom.c_str(), filter.exitTo.c_str(), filter.since.c_str()};
    reader_ = plugin->open(job.sourceSettings, &pluginFilter);
    mapping_ = std::make_unique<FieldMapping>(config, job, reader_->columns());
}

SourceRecords::~SourceRecords() = default;

SourceRecords::Step SourceRecords::next(record::TraineeRecord& record) {
    const Step step = next(record, problems_);
    problems_.clear();
    return step;
}

SourceRecords::Step SourceRecords::next(record::TraineeRecord& record,
                                        std::vector<record::FieldProblem>& problems) {
    problems.clear();
    psl_row row{};
    psl_error err{};
    const auto step = reader_->next(row, err);
    if (step == plugin::SourceReader::Step::End) return Step::End;
    ++rowsRead_;
    if (step == plugin::SourceReader::Step::RowError) {
        record.clear();
        if (onRefused_) onRefused_(err.line, err.column ? "column " + std::to_string(err.column) : "row", err.message);
        return Step::Refused;
    }
    mapping_->apply(row, record, problems);
    const auto mappingProblems = static_cast<std::ptrdiff_t>(problems.size());
    for (auto& p : validator_.normalise(record)) {
        // A value a strict map refused is reported once, as such: the validator's
        // view of the unmapped value would only confuse.
        const bool known = std::any_of(problems.begin(), problems.begin() + mappingProblems,
                                       [&](const record::FieldProblem& q) { return q.field == p.field; });
        if (!known) problems.push_back(std::move(p));
    }
    if (problems.empty()) return Step::Record;
    if (onRefused_) {
        for (const auto& p : problems) onRefused_(row.line, record::nameOf(p.field), p.reason);
    }
    return Step::Refused;
}

TraineeLookup TraineeLookup::localId(std::string_view typed) {
    return {By::LocalStudentId, std::string(trimmed(typed))};
}

TraineeLookup TraineeLookup::ine(std::string_view typed) {
    std::string value(trimmed(typed));
    std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::toupper(c); });
    return {By::Ine, std::move(value)};
}

std::string TraineeLookup::describe() const { return by == By::Ine ? "the INE given" : "the local id given"; }

std::optional<record::TraineeRecord> findTrainee(const config::GatewayConfig& config,
                                                 const config::JobSettings& job, const TraineeLookup& lookup) {
    const record::Field key = lookup.by == TraineeLookup::By::Ine ? record::Field::ine : record::Field::local_student_id;
    const bool mapped = std::any_of(job.mapping.begin(), job.mapping.end(),
                                    [&](const config::ColumnMapping& m) { return m.field == key; });
    if (!mapped || lookup.value.empty()) return std::nullopt;  // a constant cannot tell one trainee from another
    SourceRecords source(config, job, config.purpose(job.purpose).required);
    record::TraineeRecord record;
    for (;;) {
        const auto step = source.next(record);
        if (step == SourceRecords::Step::End) return std::nullopt;
        if (step == SourceRecords::Step::Record && record.get(key) == lookup.value) return record;
    }
}

}  // namespace passerelle::exchange
