#pragma once
// Writes each batch to its own CSV file in one folder. A batch is written to a
// hidden temporary file and only appears under its final name, complete and
// durable, when it is committed; a redelivered batch replaces nothing.

#include <passerelle/plugin.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "batch_columns.h"
#include "sink_failure.h"

namespace passerelle::csv {

struct SinkOptions {
    std::string directory;
    char delimiter = ',';
    bool byteOrderMark = false;  // some spreadsheets need it to read UTF-8
    Layout layout = Layout::Auto;
};

class BatchFileSink {
public:
    explicit BatchFileSink(SinkOptions options);  // creates the folder (0700) if missing
    ~BatchFileSink();
    BatchFileSink(const BatchFileSink&) = delete;
    BatchFileSink& operator=(const BatchFileSink&) = delete;

    void begin(const psl_batch_info& info);
    void write(const psl_str* values, std::size_t count);
    void commit();
    void abort() noexcept;

private:
    void flush();
    void appendToIndex(bool onlyIfMissing);

    SinkOptions options_;
    std::string indexPath_;

    bool active_ = false;
    int fd_ = -1;
    std::string batchId_;
    std::string sender_;
    std::string purpose_;
    std::size_t fieldCount_ = 0;
    std::optional<BatchColumns> columns_;
    std::uint64_t announced_ = 0;
    std::uint64_t written_ = 0;
    std::string tempPath_;
    std::string finalName_;
    std::string pending_;  // bytes not yet written to fd_
};

}  // namespace passerelle::csv
