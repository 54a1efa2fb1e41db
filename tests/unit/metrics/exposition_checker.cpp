#include "exposition_checker.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace passerelle::metrics::testing {
namespace {

bool isNameStart(char c, bool colonAllowed) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colonAllowed && c == ':');
}
bool isNameChar(char c, bool colonAllowed) { return isNameStart(c, colonAllowed) || (c >= '0' && c <= '9'); }

// Reads a name at pos; "" if there is none.
std::string readName(const std::string& line, std::size_t& pos, bool colonAllowed) {
    const std::size_t start = pos;
    if (pos >= line.size() || !isNameStart(line[pos], colonAllowed)) return "";
    while (pos < line.size() && isNameChar(line[pos], colonAllowed)) ++pos;
    return line.substr(start, pos - start);
}

bool isValue(const std::string& text) {
    if (text == "+Inf" || text == "-Inf" || text == "NaN") return true;
    // Plain decimal only, as we write it: strtod alone would also take " 1", "inf" or hex.
    if (text.empty() || text.find_first_not_of("0123456789+-.eE") != std::string::npos) return false;
    char* end = nullptr;
    std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size();
}

struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
};

// name{a="x",b="y"} value  -> "" or the problem.
std::string parseSample(const std::string& line, Sample& sample) {
    std::size_t pos = 0;
    sample.name = readName(line, pos, true);
    if (sample.name.empty()) return "sample does not start with a metric name";
    if (pos < line.size() && line[pos] == '{') {
        ++pos;
        while (pos < line.size() && line[pos] != '}') {
            const std::string label = readName(line, pos, false);
            if (label.empty()) return "bad label name";
            if (pos + 1 >= line.size() || line[pos] != '=' || line[pos + 1] != '"')
                return "label without =\"";
            pos += 2;
            std::string value;
            while (pos < line.size() && line[pos] != '"') {
                if (line[pos] == '\\') {
                    if (pos + 1 >= line.size()) return "dangling backslash in label value";
                    const char escaped = line[pos + 1];
                    if (escaped != '\\' && escaped != '"' && escaped != 'n')
                        return "bad escape in label value";
                    value += escaped == 'n' ? '\n' : escaped;
                    pos += 2;
                } else {
                    value += line[pos++];
                }
            }
            if (pos >= line.size()) return "unterminated label value";
            ++pos;  // closing quote
            if (!sample.labels.emplace(label, value).second) return "label " + label + " repeated";
            if (pos < line.size() && line[pos] == ',') ++pos;
        }
        if (pos >= line.size()) return "unterminated label set";
        ++pos;  // closing brace
    }
    if (pos >= line.size() || line[pos] != ' ') return "no single space before the value";
    const std::string value = line.substr(pos + 1);
    if (!isValue(value)) return "value \"" + value + "\" is not a number Prometheus reads";
    return "";
}

bool belongsTo(const std::string& sampleName, const std::string& family, const std::string& type) {
    if (type != "histogram") return sampleName == family;
    return sampleName == family + "_bucket" || sampleName == family + "_sum" ||
           sampleName == family + "_count";
}

}  // namespace

std::string expositionProblem(const std::string& text) {
    if (!text.empty() && text.back() != '\n') return "text does not end with a newline";
    std::istringstream in(text);
    std::string line;
    int number = 0;
    std::set<std::string> seenFamilies;
    std::string family;       // the family whose samples may follow
    std::string type;         // its TYPE
    std::string helpPending;  // a HELP waiting for its TYPE
    std::string previousFamily;
    const auto problem = [&](const std::string& what) {
        return "line " + std::to_string(number) + ": " + what;
    };
    while (std::getline(in, line)) {
        ++number;
        if (line.empty()) return problem("empty line");
        if (line.starts_with("# HELP ")) {
            std::size_t pos = 7;
            const std::string name = readName(line, pos, true);
            if (name.empty() || (pos < line.size() && line[pos] != ' '))
                return problem("HELP without a metric name");
            if (!seenFamilies.insert(name).second) return problem("family " + name + " appears twice");
            if (!previousFamily.empty() && name < previousFamily)
                return problem("families not sorted by name");
            for (std::size_t i = pos; i < line.size(); ++i) {
                if (line[i] == '\\' &&
                    (i + 1 >= line.size() || (line[i + 1] != '\\' && line[i + 1] != 'n'))) {
                    return problem("bad escape in HELP");
                }
                if (line[i] == '\\') ++i;
            }
            previousFamily = name;
            helpPending = name;
            family.clear();
            continue;
        }
        if (line.starts_with("# TYPE ")) {
            std::size_t pos = 7;
            const std::string name = readName(line, pos, true);
            if (name.empty() || name != helpPending)
                return problem("TYPE not right after the HELP of " + name);
            if (pos >= line.size() || line[pos] != ' ') return problem("TYPE without a type");
            type = line.substr(pos + 1);
            if (type != "counter" && type != "gauge" && type != "histogram")
                return problem("unknown type " + type);
            family = name;
            helpPending.clear();
            continue;
        }
        if (line.starts_with("#")) continue;  // a comment
        Sample sample;
        if (const std::string bad = parseSample(line, sample); !bad.empty()) return problem(bad);
        if (family.empty()) return problem("sample " + sample.name + " before its family's HELP and TYPE");
        if (!belongsTo(sample.name, family, type)) {
            return problem("sample " + sample.name + " inside family " + family);
        }
        const bool isBucket = type == "histogram" && sample.name == family + "_bucket";
        if (isBucket != (sample.labels.count("le") == 1))
            return problem("le label only and always on buckets");
    }
    if (!helpPending.empty()) return "family " + helpPending + " has HELP but no TYPE";
    return "";
}

std::string renderChecked(const Registry& scraped) {
    std::string text = scraped.render();
    const std::string problem = expositionProblem(text);
    if (!problem.empty())
        ADD_FAILURE() << "rendered text is not valid exposition format: " << problem << "\n" << text;
    return text;
}

}  // namespace passerelle::metrics::testing
