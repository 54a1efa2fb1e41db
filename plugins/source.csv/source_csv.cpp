// source.csv — reads an institution's CSV export (see csv_reader.h).
//
// Settings:
//   path       the file to read (required)
//   encoding   utf-8 (default; a byte order mark is skipped) | windows-1252 | iso-8859-15
//   delimiter  ; | , | tab | auto (default: the most frequent of the three in the header line)
//   header     true (default) | false: the first line is data, columns are named column1..N
//
// The filter is not applied here: a file cannot be queried, the host filters.

#include <passerelle/plugin_adapter.h>

#include <string>
#include <string_view>

#include "csv_reader.h"

namespace {

using passerelle::csv::CsvReader;
using passerelle::csv::Encoding;
using passerelle::csv::ReaderFailure;
using passerelle::csv::ReaderOptions;

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

ReaderOptions parseSettings(passerelle::sdk::Settings settings) {
    ReaderOptions options;
    bool havePath = false;
    for (const auto [key, value] : settings) {
        if (key == "path") {
            if (value.empty()) throw ReaderFailure("setting 'path' is empty; give the CSV file to read");
            options.path = value;
            havePath = true;
        } else if (key == "encoding") {
            const std::string v = lower(value);
            if (v == "utf-8" || v == "utf8") {
                options.encoding = Encoding::Utf8;
            } else if (v == "windows-1252" || v == "cp1252") {
                options.encoding = Encoding::Windows1252;
            } else if (v == "iso-8859-15" || v == "latin-9" || v == "latin9") {
                options.encoding = Encoding::Iso8859_15;
            } else {
                throw ReaderFailure("setting 'encoding' must be utf-8, windows-1252 or iso-8859-15");
            }
        } else if (key == "delimiter") {
            const std::string v = lower(value);
            if (v == ";" || v == ",") {
                options.delimiter = v[0];
            } else if (v == "tab" || v == "\t") {
                options.delimiter = '\t';
            } else if (v == "auto") {
                options.delimiter = 0;
            } else {
                throw ReaderFailure("setting 'delimiter' must be ';', ',', 'tab' or 'auto'");
            }
        } else if (key == "header") {
            const std::string v = lower(value);
            if (v == "true" || v == "yes" || v == "1") {
                options.header = true;
            } else if (v == "false" || v == "no" || v == "0") {
                options.header = false;
            } else {
                throw ReaderFailure("setting 'header' must be true or false");
            }
        } else {
            throw ReaderFailure("unknown setting '" + std::string(key) +
                                "' (source.csv knows path, encoding, delimiter, header)");
        }
    }
    if (!havePath) throw ReaderFailure("setting 'path' is required: the CSV file to read");
    return options;
}

CsvReader* openCsv(passerelle::sdk::Settings settings, const psl_source_filter* /*filter*/) {
    return new CsvReader(parseSettings(settings));
}

}  // namespace

extern "C" PSL_EXPORT const psl_source_v1* passerelle_source_v1(void) {
    static const psl_source_v1 table = passerelle::sdk::sourceTable<CsvReader, openCsv>("source.csv");
    return &table;
}
