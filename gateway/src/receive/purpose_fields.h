#pragma once
// The Region's own reading of minimisation: a batch carries exactly the fields
// its purpose defines on the Region's side ([purpose.<id>] fields), in that
// order, each a field of the trainee-record catalogue, none of a class the
// purpose forbids. The sender's configuration is not trusted to have done it
// (docs/batch-format.md, "What the Region checks").

#include <optional>
#include <string>
#include <vector>

#include "config/gateway_config.h"

namespace passerelle::exchange {

struct FieldsRefusal {
    std::string reason;                  // names the fields and what is wrong with them
    std::vector<std::string> offending;  // field names (not personal data); unprintable ones left out
};

// nullopt when `fields` is exactly purpose.fields, in the same order.
std::optional<FieldsRefusal> fieldsRefusal(const std::vector<std::string>& fields,
                                           const config::PurposeSettings& purpose);

}  // namespace passerelle::exchange
