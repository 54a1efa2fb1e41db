#pragma once
// The keys of a [job.*] section that say how an export row becomes a trainee
// record: map.<field> (a column), const.<field> (a fixed value) and
// values.<field> (a value map, optionally .strict). Checked whole at load time,
// so a transfer never discovers a bad mapping half-way through an export.

#include <string>
#include <string_view>
#include <vector>

#include "config/config_reader.h"
#include "config/gateway_config.h"

namespace passerelle::config {

// Reads map.*, const.* and values.* of `section` ("job.<name>") into `job`.
// Throws ConfigError naming the key: an unknown field, a field both mapped and
// constant, a malformed value map, a replacement or constant the field refuses.
void readJobMapping(const ConfigReader& r, const std::string& section, JobSettings& job);

// Parses the text of a values.<field> key:
//   from => to | from => to | ...
// Each side is trimmed; a side holding '|', '=>' or a quote, or an empty side,
// is written in double quotes with inner quotes doubled ("a|b", "", "say ""hi""").
// Throws ConfigError whose message names the entry (by position), never a value.
std::vector<ValueMap::Entry> parseValueMap(std::string_view text);

}  // namespace passerelle::config
