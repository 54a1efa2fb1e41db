#pragma once
// Which columns a batch file has, and which of the batch's values fills each.
//
// fields:       the batch's fields, as they come, under their field names.
// participants: the participant-import file of the Region's survey tool
//               (LimeSurvey style): firstname (first_names), lastname
//               (usage_name when the record has one, else birth_name), email,
//               then every other field of the batch in batch order under its
//               field name, then institution (the party id of the sender).
// auto:         participants when the batch carries an email field, else fields.

#include <passerelle/plugin.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::csv {

enum class Layout { Auto, Participants, Fields };

class BatchColumns {
public:
    // Throws SinkFailure when layout is Participants and the batch has no email field.
    BatchColumns(Layout layout, const psl_batch_info& info);

    Layout layout() const { return layout_; }  // Participants or Fields, never Auto
    std::size_t size() const { return columns_.size(); }
    const std::string& header(std::size_t column) const { return columns_[column].header; }

    // The value of `column` for one record, whose values follow the batch's fields.
    std::string_view value(std::size_t column, const psl_str* values) const;

private:
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

    struct Column {
        std::string header;
        std::size_t field = kNone;     // the batch field that fills it
        std::size_t fallback = kNone;  // the field used when `field` is absent or its value empty
        std::string constant;          // the value when neither field is in the batch
    };
    // A column filled by a batch field (kNone: the batch lacks it, the column stays empty).
    static Column filledBy(std::string header, std::size_t field, std::size_t fallback = kNone);

    Layout layout_;
    std::vector<Column> columns_;
};

}  // namespace passerelle::csv
