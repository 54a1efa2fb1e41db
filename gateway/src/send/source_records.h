#pragma once
// The rows of a job's export as validated trainee records: the job's source
// plugin is opened, its header matched against the job's column mapping, and
// every row mapped (FieldMapping: columns, constants, value maps) and
// normalised by RecordValidator. Used by BatchPreparer to seal a batch, by the
// institution to re-identify one trainee from its own export (objections,
// access requests) and by `passerelle preview`, with exactly the same rules.

#include "config/gateway_config.h"
#include "plugin/plugin_host.h"
#include "record/record_validator.h"
#include "record/trainee_record.h"
#include "send/field_mapping.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::exchange {

class SourceRecords {
public:
    enum class Step { Record, Refused, End };

    // Where a refused row is accounted for: once per problem, with the source
    // line, the column or field, and the reason (never the value).
    using RefusalSink = std::function<void(std::uint64_t line, std::string_view where, std::string_view reason)>;

    // Opens the job's source. `required` are the fields a record must have (the
    // purpose's). Throws PluginError when the source cannot be opened and
    // ConfigError naming the job's map key when a mapped column is missing.
    // `filter` is handed to the plugin, which may apply it when it can query its
    // source (SQL, REST); the caller still checks every record against it.
    struct Filter {
        std::string exitFrom;
        std::string exitTo;
        std::string since;
    };
    SourceRecords(const config::GatewayConfig& config, const config::JobSettings& job,
                  std::vector<record::Field> required, const Filter& filter = {});
    ~SourceRecords();
    SourceRecords(const SourceRecords&) = delete;
    SourceRecords& operator=(const SourceRecords&) = delete;

    void onRefused(RefusalSink sink) { onRefused_ = std::move(sink); }

    // Record: `record` holds the next valid, normalised row. Refused: the row was
    // malformed or invalid (reported to the RefusalSink). End: no more rows.
    Step next(record::TraineeRecord& record);

    // As next(record), for a caller that shows refused rows too (preview): a
    // refused row's field problems are also put in `problems`, and `record`
    // keeps what was mapped, normalised where valid (a NIR is wiped all the
    // same). A row the plugin could not read is Refused with `problems` empty
    // and `record` cleared; only the RefusalSink hears of it.
    Step next(record::TraineeRecord& record, std::vector<record::FieldProblem>& problems);

    // Every field a record of this job is given, in catalogue order.
    const std::vector<record::Field>& fields() const { return mapping_->fields(); }

    std::uint64_t rowsRead() const { return rowsRead_; }

private:
    std::unique_ptr<plugin::SourceReader> reader_;
    std::unique_ptr<FieldMapping> mapping_;
    record::RecordValidator validator_;
    std::vector<record::FieldProblem> problems_;  // reused from row to row
    RefusalSink onRefused_;
    std::uint64_t rowsRead_ = 0;
};

// How an operator names a trainee: the institution's own number or the INE.
struct TraineeLookup {
    enum class By { LocalStudentId, Ine };
    By by = By::LocalStudentId;
    std::string value;  // as typed; normalised (trimmed, INE in capitals) by the constructor helpers

    static TraineeLookup localId(std::string_view typed);
    static TraineeLookup ine(std::string_view typed);
    // "the local id given" / "the INE given": never the value, which is a personal datum
    // and would reach terminals, logs and the console's answers.
    std::string describe() const;
};

// Reads the job's export and returns the first valid record naming the trainee,
// or nullopt. Refused rows are skipped silently: they were never sent either.
std::optional<record::TraineeRecord> findTrainee(const config::GatewayConfig& config,
                                                 const config::JobSettings& job, const TraineeLookup& lookup);

}  // namespace passerelle::exchange
