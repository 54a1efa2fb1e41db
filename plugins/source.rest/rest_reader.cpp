#include "rest_reader.h"

#include <Poco/JSON/Parser.h>

#include <cstdio>
#include <functional>

#include "json_path.h"
#include "source_failure.h"

namespace passerelle::rest {

RestReader::RestReader(RestSettings settings, const psl_source_filter* filter)
    : settings_(std::move(settings)), session_(settings_), pages_(settings_, filter) {
    for (const Column& c : settings_.columns) columnRefs_.push_back({c.name.data(), c.name.size()});
    cells_.resize(settings_.columns.size());
    cellRefs_.resize(settings_.columns.size());
}

bool RestReader::loadNextPage() {
    items_ = nullptr;  // one page in memory at a time
    nextItem_ = 0;
    const auto uri = pages_.next();
    if (!uri) return false;
    const std::string what = "page " + std::to_string(pages_.number());
    const std::string where = what + " (GET " + addressForMessages(*uri) + ")";
    HttpAnswer answer = session_.get(*uri, what);

    Poco::Dynamic::Var document;
    try {
        document = Poco::JSON::Parser().parse(answer.body);
    } catch (const Poco::Exception&) {
        throw SourceFailure(where + " is not JSON; check that url is the API's JSON list endpoint");
    }
    const Poco::Dynamic::Var items = settings_.itemsPath.find(document);
    if (!isJsonArray(items)) {
        throw SourceFailure(
            where + (settings_.itemsPath.empty()
                         ? " is not a JSON array; set items_path to where a page holds its records"
                         : ": items_path '" + settings_.itemsPath.text() +
                               "' is not an array; set items_path to where a page holds its records"));
    }
    items_ = items.extract<Poco::JSON::Array::Ptr>();

    // An API that ignores the page parameter would otherwise serve page 1 forever.
    const std::size_t digest = std::hash<std::string>{}(answer.body);
    if (pages_.number() > 1 && items_->size() > 0 && digest == lastPageDigest_) {
        throw SourceFailure(where +
                            " is the same as the page before it: the API seems to ignore the paging "
                            "parameter; check page.param (or cursor.*)");
    }
    lastPageDigest_ = digest;
    pages_.read(document, items_->size(), where);
    return true;
}

int RestReader::rowError(psl_error& err, std::uint64_t column, const std::string& message) const {
    std::snprintf(err.message, sizeof err.message, "%s", message.c_str());
    err.line = record_;
    err.column = column;
    return PSL_ROW_ERROR;
}

int RestReader::next(psl_row& row, psl_error& err) {
    while (items_.isNull() || nextItem_ >= items_->size()) {
        if (!loadNextPage()) return PSL_END;
    }
    const Poco::Dynamic::Var record = items_->get(static_cast<unsigned>(nextItem_++));
    ++record_;
    const std::string place =
        "record " + std::to_string(record_) + " (page " + std::to_string(pages_.number()) + ")";
    if (!isJsonObject(record)) {
        return rowError(err, 0, place + " is not a JSON object; check items_path");
    }
    for (std::size_t i = 0; i < settings_.columns.size(); ++i) {
        const Column& column = settings_.columns[i];
        auto text = scalarText(column.path.find(record));
        if (!text) {
            return rowError(err, i + 1,
                            place + ": column '" + column.name + "' (path '" + column.path.text() +
                                "') is an object or an array, not a value; point column." + column.name +
                                " at a value inside it");
        }
        cells_[i] = std::move(*text);
        cellRefs_[i] = {cells_[i].data(), cells_[i].size()};
    }
    row.line = record_;
    row.cells = cellRefs_.data();
    row.cell_count = cellRefs_.size();
    return PSL_OK;
}

}  // namespace passerelle::rest
