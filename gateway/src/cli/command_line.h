#pragma once
// A small command-line reader: each command declares its options, so an
// unknown or incomplete option is refused with the command's usage.

#include <map>
#include <optional>
#include <stdexcept>
#include <set>
#include <string>
#include <vector>

namespace passerelle::cli {

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct OptionSpec {
    std::string name;  // without the leading "--"
    bool takesValue = true;
    std::string help;
    std::string valueName = "VALUE";
    bool repeatable = false;  // may be given more than once (ParsedOptions::all)
};

struct CommandSpec {
    std::string name;     // e.g. "audit verify"
    std::string summary;  // one line
    std::string usage;    // e.g. "passerelle transfer --config FILE --job NAME"
    std::vector<OptionSpec> options;
    std::string details;  // extra paragraphs for --help
    std::string argument;  // name of the one positional argument it takes, if any (e.g. "ENTRY|BATCH_ID")
};

class ParsedOptions {
public:
    bool has(const std::string& name) const { return values_.contains(name); }
    std::string value(const std::string& name) const;  // throws UsageError when missing
    std::optional<std::string> optional(const std::string& name) const;
    // The positional argument (CommandSpec::argument); throws UsageError when missing.
    std::string argument() const;
    // Every value of a repeatable option, in the order given.
    std::vector<std::string> all(const std::string& name) const;

    std::map<std::string, std::string> values_;
    std::map<std::string, std::vector<std::string>> repeated_;
};

// Throws UsageError for an unknown option or a missing value; "--help" sets "help".
ParsedOptions parseOptions(const CommandSpec& spec, const std::vector<std::string>& args);
std::string helpText(const CommandSpec& spec);

// Every command understands these.
OptionSpec configOption();

}  // namespace passerelle::cli
