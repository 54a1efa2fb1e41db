#include "metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <system_error>

namespace passerelle::metrics {
namespace {

bool isAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isAsciiDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool isValidMetricName(std::string_view name) {
    if (name.empty() || isAsciiDigit(name.front())) return false;
    for (const char c : name) {
        if (!isAsciiLetter(c) && !isAsciiDigit(c) && c != '_' && c != ':') return false;
    }
    return true;
}

bool isValidLabelName(std::string_view name) {
    if (name.empty() || isAsciiDigit(name.front())) return false;
    for (const char c : name) {
        if (!isAsciiLetter(c) && !isAsciiDigit(c) && c != '_') return false;
    }
    return true;
}

std::string escapeHelp(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (const char c : help) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string escapeLabelValue(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string formatSampleValue(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    // Below 2^53 every integral double is exact as an int64; this also turns -0 into "0".
    if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) {
        return std::to_string(static_cast<std::int64_t>(value));
    }
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    if (ec != std::errc()) throw std::logic_error("formatSampleValue: buffer too small for a double");
    return std::string(buffer, end);
}

std::string labelText(const std::vector<std::string>& names, const std::vector<std::string>& values) {
    if (names.size() != values.size()) {
        throw std::logic_error("labelText: " + std::to_string(names.size()) + " label names but " +
                               std::to_string(values.size()) + " values");
    }
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += ',';
        out += names[i];
        out += "=\"";
        out += escapeLabelValue(values[i]);
        out += '"';
    }
    return out;
}

void appendSample(std::string& out, std::string_view name, std::string_view labels, std::string_view value) {
    out += name;
    if (!labels.empty()) {
        out += '{';
        out += labels;
        out += '}';
    }
    out += ' ';
    out += value;
    out += '\n';
}

}  // namespace passerelle::metrics
