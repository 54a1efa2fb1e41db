// sink.csv — writes each batch the Region receives to a CSV file (see batch_file_sink.h).
//
// Settings:
//   directory  where batch files and index.csv go (required; created 0700 if missing)
//   delimiter  , (default) | ; | tab
//   bom        false (default) | true: start each file with a UTF-8 byte order mark
//   layout     auto (default) | participants | fields: the columns of each file
//              (see batch_columns.h; auto writes the survey tool's participant
//              file when the batch carries an email field)
//
// Files: <directory>/<sender>_<batch_id>.csv (0600, RFC 4180, CRLF, UTF-8, cells
// that a spreadsheet would run as a formula prefixed with ', see csv_cell.h) and
// one line per committed batch in <directory>/index.csv.

#include <passerelle/plugin.h>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "batch_file_sink.h"

namespace {

using passerelle::csv::BatchFileSink;
using passerelle::csv::Layout;
using passerelle::csv::SinkFailure;
using passerelle::csv::SinkOptions;

void setError(psl_error* err, const char* message) {
    if (err == nullptr) return;
    std::snprintf(err->message, sizeof err->message, "%s", message);
    err->line = 0;
    err->column = 0;
}

SinkOptions parseSettings(const psl_setting* settings, std::size_t count) {
    SinkOptions options;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string_view key = settings[i].key ? settings[i].key : "";
        const std::string_view value = settings[i].value ? settings[i].value : "";
        if (key == "directory") {
            options.directory = value;
        } else if (key == "delimiter") {
            if (value == "," || value == ";") {
                options.delimiter = value[0];
            } else if (value == "tab" || value == "\t") {
                options.delimiter = '\t';
            } else {
                throw SinkFailure("setting 'delimiter' must be ',', ';' or 'tab'");
            }
        } else if (key == "bom") {
            if (value == "true" || value == "yes" || value == "1") {
                options.byteOrderMark = true;
            } else if (value == "false" || value == "no" || value == "0") {
                options.byteOrderMark = false;
            } else {
                throw SinkFailure("setting 'bom' must be true or false");
            }
        } else if (key == "layout") {
            if (value == "auto") {
                options.layout = Layout::Auto;
            } else if (value == "participants") {
                options.layout = Layout::Participants;
            } else if (value == "fields") {
                options.layout = Layout::Fields;
            } else {
                throw SinkFailure("setting 'layout' must be auto, participants or fields");
            }
        } else {
            throw SinkFailure("unknown setting '" + std::string(key) +
                              "' (sink.csv knows directory, delimiter, bom, layout)");
        }
    }
    if (options.directory.empty())
        throw SinkFailure("setting 'directory' is required: the folder to write to");
    return options;
}

// Every entry point catches everything: no exception may cross the C ABI.
template <typename Body>
int guarded(psl_error* err, Body&& body) noexcept {
    try {
        body();
        return PSL_OK;
    } catch (const std::exception& e) {
        setError(err, e.what());
    } catch (...) {
        setError(err, "unexpected internal error");
    }
    return PSL_FATAL;
}

void* openSink(const psl_setting* settings, std::size_t count, psl_error* err) noexcept {
    BatchFileSink* sink = nullptr;
    guarded(err, [&] {
        if (settings == nullptr && count != 0) throw SinkFailure("settings missing");
        sink = new BatchFileSink(parseSettings(settings, count));
    });
    return sink;
}

int beginBatch(void* handle, const psl_batch_info* info, psl_error* err) noexcept {
    return guarded(err, [&] {
        if (handle == nullptr || info == nullptr)
            throw SinkFailure("begin_batch called without a handle or batch");
        static_cast<BatchFileSink*>(handle)->begin(*info);
    });
}

int writeRecord(void* handle, const psl_str* values, std::size_t count, psl_error* err) noexcept {
    return guarded(err, [&] {
        if (handle == nullptr || (values == nullptr && count != 0)) {
            throw SinkFailure("write_record called without a handle or values");
        }
        static_cast<BatchFileSink*>(handle)->write(values, count);
    });
}

int commitBatch(void* handle, psl_error* err) noexcept {
    return guarded(err, [&] {
        if (handle == nullptr) throw SinkFailure("commit_batch called without a handle");
        static_cast<BatchFileSink*>(handle)->commit();
    });
}

void abortBatch(void* handle) noexcept {
    if (handle != nullptr) static_cast<BatchFileSink*>(handle)->abort();
}

void closeSink(void* handle) noexcept { delete static_cast<BatchFileSink*>(handle); }

const psl_sink_v1 kSinkCsv = {
    PASSERELLE_PLUGIN_ABI_VERSION,
    "sink.csv",
    openSink,
    beginBatch,
    writeRecord,
    commitBatch,
    abortBatch,
    closeSink,
};

}  // namespace

extern "C" PSL_EXPORT const psl_sink_v1* passerelle_sink_v1(void) { return &kSinkCsv; }
