#pragma once
// Upserts each batch the Region receives into one table keyed by (pseudonym,
// institution, purpose), in one transaction per batch. Writing a batch again
// leaves the table as after the first time: the same rows get the same values,
// and received_at keeps the time of the batch's first delivery.

#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <passerelle/plugin.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sql_connection.h"

namespace passerelle::sql {

struct SinkOptions {
    ConnectionSettings connection;
    std::string table = "survey_participants";
    bool createTable = true;  // create the table, and add a column for a new field
};

class SurveyTable {
public:
    explicit SurveyTable(SinkOptions options);
    ~SurveyTable();
    SurveyTable(const SurveyTable&) = delete;
    SurveyTable& operator=(const SurveyTable&) = delete;

    void begin(const psl_batch_info& info);
    void write(const psl_str* values, std::size_t count);
    void commit();
    void abort() noexcept;

private:
    std::vector<std::string> existingColumns();
    void prepareColumns(const std::vector<std::string>& columns);
    void prepareUpsert(const std::vector<std::string>& columns);
    void executeUpsert();
    std::string quoted(const std::string& identifier) const { return '"' + identifier + '"'; }

    SinkOptions options_;
    Database db_;

    bool active_ = false;
    std::string batchId_;
    std::size_t fieldCount_ = 0;
    std::size_t pseudonymIndex_ = 0;
    std::uint64_t announced_ = 0;
    std::uint64_t written_ = 0;
    std::vector<Poco::Nullable<std::string>> values_;  // bound by reference: fields, then the 4 batch columns
    std::string upsertSql_;
    std::unique_ptr<Poco::Data::Statement> upsert_;
};

}  // namespace passerelle::sql
