#include "page_sequence.h"

#include "json_path.h"
#include "source_failure.h"

namespace passerelle::rest {

PageSequence::PageSequence(const RestSettings& settings, const psl_source_filter* filter)
    : settings_(settings), base_(settings.url) {
    if (filter == nullptr) return;
    const auto add = [this](const std::string& param, const char* value) {
        if (!param.empty() && value != nullptr && *value != '\0') base_.addQueryParameter(param, value);
    };
    add(settings.filter.exitFrom, filter->exit_from);
    add(settings.filter.exitTo, filter->exit_to);
    add(settings.filter.since, filter->since);
}

std::optional<Poco::URI> PageSequence::next() {
    if (done_) return std::nullopt;
    ++number_;
    switch (settings_.pagination) {
        case Pagination::None:
            done_ = true;
            return base_;
        case Pagination::Page: {
            Poco::URI uri = base_;
            uri.addQueryParameter(settings_.page.param, std::to_string(settings_.page.first + number_ - 1));
            if (!settings_.page.sizeParam.empty())
                uri.addQueryParameter(settings_.page.sizeParam, settings_.page.size);
            return uri;
        }
        case Pagination::Cursor:
            if (number_ == 1) return base_;
            return following_;
    }
    return std::nullopt;
}

void PageSequence::read(const Poco::Dynamic::Var& page, std::size_t itemCount, const std::string& where) {
    if (settings_.pagination == Pagination::Cursor) {
        readCursor(page, where);
        return;
    }
    if (settings_.pagination != Pagination::Page) return;
    if (itemCount == 0) {
        done_ = true;
        return;
    }
    if (!settings_.page.totalPath) return;
    const Poco::Dynamic::Var total = settings_.page.totalPath->find(page);
    if (!total.isInteger()) {
        throw SourceFailure(
            where + ": no whole number at page.total_path '" + settings_.page.totalPath->text() +
            "'; set page.total_path to where the API gives its number of pages, or remove it");
    }
    if (total.convert<Poco::Int64>() <= static_cast<Poco::Int64>(number_)) done_ = true;
}

void PageSequence::readCursor(const Poco::Dynamic::Var& page, const std::string& where) {
    const Poco::Dynamic::Var value = settings_.cursor.path.find(page);
    const auto text = scalarText(value);
    if (!text) {
        throw SourceFailure(where + ": cursor.path '" + settings_.cursor.path.text() +
                            "' is an object or an array; point it at the next cursor or next-page address");
    }
    if (text->empty()) {
        done_ = true;
        return;
    }
    if (*text == lastCursor_) {
        throw SourceFailure(where +
                            " gives the same next cursor as the page before it: the API does not advance; "
                            "check cursor.path and cursor.param");
    }
    lastCursor_ = *text;
    if (text->starts_with("https://") || text->starts_with("http://") || text->starts_with("/")) {
        Poco::URI next;
        try {
            next = Poco::URI(base_, *text);
        } catch (const Poco::Exception&) {
            throw SourceFailure(where + ": the next-page address at cursor.path is not a URL");
        }
        // The bearer token goes only to the server named by url.
        if (next.getScheme() != base_.getScheme() || next.getHost() != base_.getHost() ||
            next.getPort() != base_.getPort()) {
            throw SourceFailure(where +
                                ": the next-page address at cursor.path points to another server than url; "
                                "source.rest sends its token only to the host of url");
        }
        following_ = next;
        return;
    }
    Poco::URI next = base_;
    next.addQueryParameter(settings_.cursor.param, *text);
    following_ = next;
}

}  // namespace passerelle::rest
