#pragma once

#include <string>

namespace passerelle::cli {

// Log lines go to stderr as "TIME LEVEL SOURCE: TEXT", in UTC.
void setUpLogging(const std::string& level);

}  // namespace passerelle::cli
