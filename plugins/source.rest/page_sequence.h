#pragma once
// Which page comes next: page numbers, a cursor the API hands out, or a single
// answer. It learns from each page read whether another one follows.

#include <Poco/Dynamic/Var.h>
#include <Poco/URI.h>
#include <passerelle/plugin.h>

#include <optional>
#include <string>

#include "rest_settings.h"

namespace passerelle::rest {

class PageSequence {
public:
    // The filter values the host gives are sent as the filter.*_param parameters.
    PageSequence(const RestSettings& settings, const psl_source_filter* filter);

    // The address of the next page, nullopt after the last one. Counts the page.
    std::optional<Poco::URI> next();

    // 1-based number of the page last returned by next().
    unsigned number() const { return number_; }

    // Learns from the page just read whether another follows; `where` names
    // the page in a SourceFailure.
    void read(const Poco::Dynamic::Var& page, std::size_t itemCount, const std::string& where);

private:
    void readCursor(const Poco::Dynamic::Var& page, const std::string& where);

    const RestSettings& settings_;
    Poco::URI base_;
    unsigned number_ = 0;
    bool done_ = false;
    std::optional<Poco::URI> following_;
    std::string lastCursor_;
};

}  // namespace passerelle::rest
