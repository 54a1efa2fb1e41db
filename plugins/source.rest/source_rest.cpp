// source.rest — reads the records of a paged REST/JSON API over HTTPS, such as
// a Pégase service's list of learners. Settings and errors:
// docs/plugins/source-rest.md. The layers, from the outside in:
//   rest_settings    settings read and checked at open
//   rest_reader      pages -> rows (json_path picks each cell)
//   page_sequence    which page comes next (page numbers, cursor, single)
//   api_session      bearer token, login, retries with back-off
//   http_transport   one request, TLS through tls_client_context

#include <passerelle/plugin_adapter.h>

#include "rest_reader.h"
#include "rest_settings.h"
#include "source_failure.h"

namespace {

using passerelle::rest::RestReader;

RestReader* openRest(passerelle::sdk::Settings settings, const psl_source_filter* filter) {
    return new RestReader(passerelle::rest::parseSettings(settings), filter);
}

}  // namespace

extern "C" PSL_EXPORT const psl_source_v1* passerelle_source_v1(void) {
    static const psl_source_v1 table = passerelle::sdk::sourceTable<RestReader, openRest>("source.rest");
    return &table;
}
