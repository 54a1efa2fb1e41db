#pragma once
// Streams the records of a paged JSON API as rows: one page in memory at a
// time, the next fetched when the current one is used up. A record's cells
// are the values at the configured column paths; psl_row.line is the record's
// 1-based number across all pages.

#include <Poco/JSON/Array.h>
#include <passerelle/plugin.h>

#include <cstdint>
#include <string>
#include <vector>

#include "api_session.h"
#include "page_sequence.h"
#include "rest_settings.h"

namespace passerelle::rest {

class RestReader {
public:
    // Logs in when login.* is set; throws SourceFailure.
    RestReader(RestSettings settings, const psl_source_filter* filter);

    const std::vector<psl_str>& columns() const { return columnRefs_; }

    // PSL_OK, PSL_END or PSL_ROW_ERROR; throws SourceFailure when reading cannot go on.
    int next(psl_row& row, psl_error& err);

private:
    bool loadNextPage();
    int rowError(psl_error& err, std::uint64_t column, const std::string& message) const;

    RestSettings settings_;
    ApiSession session_;
    PageSequence pages_;
    std::vector<psl_str> columnRefs_;
    Poco::JSON::Array::Ptr items_;
    std::size_t nextItem_ = 0;
    std::uint64_t record_ = 0;
    std::size_t lastPageDigest_ = 0;
    std::vector<std::string> cells_;
    std::vector<psl_str> cellRefs_;
};

}  // namespace passerelle::rest
