#pragma once
// How one job turns a source row into the fields of a trainee record, before
// validation: the mapped columns (found in the export's header), the job's
// constants, the institution's UAI when nothing else gives it, then the value
// maps. One place, so a transfer, a preview, an objection and an extraction
// all see the same record for the same row.

#include <passerelle/plugin.h>

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include "config/gateway_config.h"
#include "record/record_validator.h"
#include "record/trainee_record.h"

namespace passerelle::exchange {

class FieldMapping {
public:
    // Finds each mapped column in `columns`, exactly or ignoring case. Throws
    // ConfigError naming the job's map key when a column is missing.
    FieldMapping(const config::GatewayConfig& config, const config::JobSettings& job,
                 const std::vector<std::string_view>& columns);

    // Clears `record` and fills it from `row`. A strict value map that does not
    // list a row's value adds a problem naming the field (never the value).
    void apply(const psl_row& row, record::TraineeRecord& record,
               std::vector<record::FieldProblem>& problems) const;

    // Every field a record of this job is given, in catalogue order.
    const std::vector<record::Field>& fields() const { return fields_; }

private:
    std::vector<std::pair<record::Field, std::size_t>> columns_;  // field <- cell index
    std::vector<std::pair<record::Field, std::string>> constants_;
    std::vector<config::ValueMap> valueMaps_;
    std::vector<record::Field> fields_;
};

}  // namespace passerelle::exchange
