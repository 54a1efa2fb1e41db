#include "batch_columns.h"

#include <algorithm>
#include <array>

#include "sink_failure.h"

namespace passerelle::csv {

namespace {

// The record fields the first three participant columns are made of; the
// participant file does not repeat them as attributes.
constexpr std::array<std::string_view, 4> kParticipantFields = {"first_names", "usage_name", "birth_name",
                                                                "email"};

}  // namespace

BatchColumns::Column BatchColumns::filledBy(std::string header, std::size_t field, std::size_t fallback) {
    return {std::move(header), field, fallback, ""};
}

BatchColumns::BatchColumns(Layout layout, const psl_batch_info& info) : layout_(layout) {
    std::vector<std::string_view> fields;
    for (std::size_t i = 0; i < info.field_count; ++i)
        fields.emplace_back(info.fields[i].data, info.fields[i].size);
    auto indexOf = [&](std::string_view name) {
        const auto it = std::find(fields.begin(), fields.end(), name);
        return it == fields.end() ? kNone : static_cast<std::size_t>(it - fields.begin());
    };

    const std::size_t email = indexOf("email");
    if (layout_ == Layout::Auto) layout_ = email != kNone ? Layout::Participants : Layout::Fields;
    if (layout_ == Layout::Fields) {
        for (std::size_t i = 0; i < fields.size(); ++i)
            columns_.push_back(filledBy(std::string(fields[i]), i));
        return;
    }
    if (email == kNone) {
        throw SinkFailure(
            "setting 'layout' is participants but the batch has no email field; "
            "use layout = auto or fields for this purpose");
    }
    columns_.push_back(filledBy("firstname", indexOf("first_names")));
    const std::size_t usageName = indexOf("usage_name");
    const std::size_t birthName = indexOf("birth_name");
    columns_.push_back(usageName != kNone ? filledBy("lastname", usageName, birthName)
                                          : filledBy("lastname", birthName));
    columns_.push_back(filledBy("email", email));
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (std::find(kParticipantFields.begin(), kParticipantFields.end(), fields[i]) ==
            kParticipantFields.end())
            columns_.push_back(filledBy(std::string(fields[i]), i));
    }
    columns_.push_back({"institution", kNone, kNone, info.sender});  // the sender's party id
}

std::string_view BatchColumns::value(std::size_t column, const psl_str* values) const {
    const Column& c = columns_[column];
    if (c.field == kNone) return c.constant;
    const std::string_view value(values[c.field].data, values[c.field].size);
    if (!value.empty() || c.fallback == kNone) return value;
    return {values[c.fallback].data, values[c.fallback].size};
}

}  // namespace passerelle::csv
