#pragma once
// What the state remembers of each job: an incremental job's cursor (the digest of
// each record last queued) and the scheduled runs.
#include "store/table_access.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace passerelle::store {

class JobState : TableAccess {
public:
    explicit JobState(std::shared_ptr<db::Database> database) : TableAccess(std::move(database)) {}

    // An incremental job's cursor, sorted by key.
    std::vector<CursorEntry> cursor(const std::string& job);

    std::optional<JobRun> jobRun(const std::string& job);
    void recordJobRun(const JobRun& run);

};

}  // namespace passerelle::store
