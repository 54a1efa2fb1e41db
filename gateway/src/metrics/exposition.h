#pragma once
// The rules of the Prometheus text exposition format 0.0.4 that do not depend
// on a metric type: which names are legal, how text is escaped, how a number is
// written so that Prometheus parses it back to the same value.

#include <string>
#include <string_view>
#include <vector>

namespace passerelle::metrics {

// The Content-Type a /metrics response must carry.
inline constexpr std::string_view kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool isValidMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*
bool isValidLabelName(std::string_view name);

// HELP text: backslash and newline escaped.
std::string escapeHelp(std::string_view help);
// Label values: backslash, double quote and newline escaped.
std::string escapeLabelValue(std::string_view value);

// Integral values without exponent ("42", "-3"), others in the shortest form
// that reads back exactly ("0.25", "1e-07"), and "+Inf", "-Inf", "NaN".
std::string formatSampleValue(double value);

// `a="x",b="y"` (no braces), values escaped; names and values pair up by index.
std::string labelText(const std::vector<std::string>& names, const std::vector<std::string>& values);

// One sample line: `name{labels} value\n`, or `name value\n` when labels is empty.
void appendSample(std::string& out, std::string_view name, std::string_view labels, std::string_view value);

}  // namespace passerelle::metrics
