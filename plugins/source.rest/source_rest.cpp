// source.rest — reads the records of a paged REST/JSON API over HTTPS, such as
// a Pégase service's list of learners. Settings and errors:
// docs/plugins/source-rest.md. The layers, from the outside in:
//   rest_settings    settings read and checked at open
//   rest_reader      pages -> rows (json_path picks each cell)
//   page_sequence    which page comes next (page numbers, cursor, single)
//   api_session      bearer token, login, retries with back-off
//   http_transport   one request, TLS through tls_client_context

#include <passerelle/plugin.h>

#include <cstdio>
#include <exception>

#include "rest_reader.h"
#include "rest_settings.h"
#include "source_failure.h"

namespace {

using passerelle::rest::RestReader;
using passerelle::rest::SourceFailure;

void setError(psl_error* err, const char* message) {
    if (err == nullptr) return;
    std::snprintf(err->message, sizeof err->message, "%s", message);
    err->line = 0;
    err->column = 0;
}

void* openSource(const psl_setting* settings, std::size_t count, const psl_source_filter* filter,
                 psl_error* err) noexcept {
    try {
        if (settings == nullptr && count != 0) throw SourceFailure("settings missing");
        return new RestReader(passerelle::rest::parseSettings(settings, count), filter);
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
    const auto& columns = static_cast<RestReader*>(handle)->columns();
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
        return static_cast<RestReader*>(handle)->next(*row, *err);
    } catch (const std::exception& e) {
        setError(err, e.what());
    } catch (...) {
        setError(err, "unexpected internal error while reading");
    }
    return PSL_FATAL;
}

void closeSource(void* handle) noexcept { delete static_cast<RestReader*>(handle); }

const psl_source_v1 kSourceRest = {
    PASSERELLE_PLUGIN_ABI_VERSION, "source.rest", openSource, sourceColumns, sourceNextRow, closeSource,
};

}  // namespace

extern "C" PSL_EXPORT const psl_source_v1* passerelle_source_v1(void) { return &kSourceRest; }
