// source.csv — reads an institution's CSV export (see csv_reader.h).
//
// Settings:
//   path       the file to read (required)
//   encoding   utf-8 (default; a byte order mark is skipped) | windows-1252 | iso-8859-15
//   delimiter  ; | , | tab | auto (default: the most frequent of the three in the header line)
//   header     true (default) | false: the first line is data, columns are named column1..N
//
// The filter is not applied here: a file cannot be queried, the host filters.

#include <passerelle/plugin.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "csv_reader.h"

namespace {

using passerelle::csv::CsvReader;
using passerelle::csv::Encoding;
using passerelle::csv::ReaderFailure;
using passerelle::csv::ReaderOptions;

void setError(psl_error* err, const char* message) {
    if (err == nullptr) return;
    std::snprintf(err->message, sizeof err->message, "%s", message);
    err->line = 0;
    err->column = 0;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

ReaderOptions parseSettings(const psl_setting* settings, std::size_t count) {
    ReaderOptions options;
    bool havePath = false;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string_view key = settings[i].key ? settings[i].key : "";
        const std::string_view value = settings[i].value ? settings[i].value : "";
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

void* openSource(const psl_setting* settings, std::size_t count, const psl_source_filter* /*filter*/,
                 psl_error* err) noexcept {
    try {
        if (settings == nullptr && count != 0) throw ReaderFailure("settings missing");
        return new CsvReader(parseSettings(settings, count));
    } catch (const std::exception& e) {
        setError(err, e.what());
    } catch (...) {
        setError(err, "unexpected internal error while opening");
    }
    return nullptr;
}

int sourceColumns(void* handle, const psl_str** names, std::size_t* count, psl_error* err) noexcept {
    if (handle == nullptr || names == nullptr || count == nullptr) {
        setError(err, "columns called without a handle");
        return PSL_FATAL;
    }
    const auto& columns = static_cast<CsvReader*>(handle)->columns();
    *names = columns.data();
    *count = columns.size();
    return PSL_OK;
}

int sourceNextRow(void* handle, psl_row* row, psl_error* err) noexcept {
    if (handle == nullptr || row == nullptr || err == nullptr) {
        setError(err, "next_row called without a handle, row or error");
        return PSL_FATAL;
    }
    try {
        return static_cast<CsvReader*>(handle)->next(*row, *err);
    } catch (const std::exception& e) {
        setError(err, e.what());
    } catch (...) {
        setError(err, "unexpected internal error while reading");
    }
    return PSL_FATAL;
}

void closeSource(void* handle) noexcept { delete static_cast<CsvReader*>(handle); }

const psl_source_v1 kSourceCsv = {
    PASSERELLE_PLUGIN_ABI_VERSION, "source.csv", openSource, sourceColumns, sourceNextRow, closeSource,
};

}  // namespace

extern "C" PSL_EXPORT const psl_source_v1* passerelle_source_v1(void) { return &kSourceCsv; }
