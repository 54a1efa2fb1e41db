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

#include <passerelle/plugin_adapter.h>

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

SinkOptions parseSettings(passerelle::sdk::Settings settings) {
    SinkOptions options;
    for (const auto [key, value] : settings) {
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

BatchFileSink* openBatchFileSink(passerelle::sdk::Settings settings) { return new BatchFileSink(parseSettings(settings)); }

}  // namespace

extern "C" PSL_EXPORT const psl_sink_v1* passerelle_sink_v1(void) {
    static const psl_sink_v1 table = passerelle::sdk::sinkTable<BatchFileSink, openBatchFileSink>("sink.csv");
    return &table;
}
