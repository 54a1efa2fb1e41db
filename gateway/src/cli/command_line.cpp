#include "cli/command_line.h"

#include <sstream>

namespace passerelle::cli {

std::string ParsedOptions::value(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) {
        throw UsageError("missing --" + name);
    }
    return it->second;
}

std::optional<std::string> ParsedOptions::optional(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

std::string ParsedOptions::argument() const {
    auto it = values_.find("");
    if (it == values_.end()) throw UsageError("missing argument");
    return it->second;
}

std::vector<std::string> ParsedOptions::all(const std::string& name) const {
    auto it = repeated_.find(name);
    return it == repeated_.end() ? std::vector<std::string>{} : it->second;
}

ParsedOptions parseOptions(const CommandSpec& spec, const std::vector<std::string>& args) {
    ParsedOptions parsed;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        if (arg == "--help" || arg == "-h") {
            parsed.values_["help"] = "";
            return parsed;
        }
        if (!arg.starts_with("--")) {
            if (spec.argument.empty() || parsed.values_.contains("")) {
                throw UsageError("unexpected argument '" + arg + "'");
            }
            parsed.values_[""] = arg;  // the positional argument
            continue;
        }
        std::string name = arg.substr(2);
        std::optional<std::string> inlineValue;
        if (auto eq = name.find('='); eq != std::string::npos) {
            inlineValue = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        const OptionSpec* option = nullptr;
        for (const OptionSpec& o : spec.options) {
            if (o.name == name) option = &o;
        }
        if (option == nullptr) {
            throw UsageError("unknown option --" + name);
        }
        if (!option->takesValue) {
            parsed.values_[name] = "";
            continue;
        }
        if (inlineValue) {
            parsed.values_[name] = *inlineValue;
        } else if (i + 1 < args.size()) {
            parsed.values_[name] = args[++i];
        } else {
            throw UsageError("--" + name + " needs a value (" + option->valueName + ")");
        }
        if (option->repeatable) parsed.repeated_[name].push_back(parsed.values_[name]);
    }
    return parsed;
}

std::string helpText(const CommandSpec& spec) {
    std::ostringstream out;
    out << spec.summary << "\n\nUsage: " << spec.usage << "\n";
    if (!spec.options.empty()) {
        out << "\nOptions:\n";
        for (const OptionSpec& o : spec.options) {
            std::string left = "  --" + o.name + (o.takesValue ? " " + o.valueName : "") + (o.repeatable ? " ..." : "");
            if (left.size() < 26) left.resize(26, ' ');
            else left += "  ";
            out << left << o.help << "\n";
        }
        out << "  --help                  show this help\n";
    }
    if (!spec.details.empty()) {
        out << "\n" << spec.details << "\n";
    }
    return out.str();
}

OptionSpec configOption() {
    return {"config", true, "the gateway's configuration file (INI; see docs/configuration.md)", "FILE"};
}

}  // namespace passerelle::cli
