#include "federation/config_file_edit.h"

#include <fcntl.h>
#include <unistd.h>

#include <sstream>
#include <vector>

#include "federation/ca_folder.h"
#include "federation/enrolment_request.h"

namespace passerelle::federation {

namespace {

std::string trimmed(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    return std::string(s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1));
}

}  // namespace

bool hasSection(std::string_view text, std::string_view section) {
    const std::string wanted = "[" + std::string(section) + "]";
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) {
        if (trimmed(line) == wanted) return true;
    }
    return false;
}

std::string withSection(std::string_view text, std::string_view section, std::string_view body) {
    std::string out(text);
    if (!out.empty() && out.back() != '\n') out += '\n';
    if (!out.empty()) out += '\n';
    out += "[" + std::string(section) + "]\n";
    out += body;
    if (!out.empty() && out.back() != '\n') out += '\n';
    return out;
}

namespace {

// Writes `text` next to `file`, lets `check` load it, then renames it over `file`
// (keeping its mode) and syncs the folder. `what` says the change, for messages.
void installText(const std::filesystem::path& file, const std::string& text, const std::string& what,
                 const std::function<void(const std::filesystem::path&)>& check) {
    std::error_code ec;
    const auto mode = static_cast<unsigned>(std::filesystem::status(file, ec).permissions()) & 0777u;
    const std::filesystem::path temporary = file.string() + ".enrol.tmp";
    std::filesystem::remove(temporary, ec);
    try {
        writeNewFile(temporary, text, mode == 0 ? 0640 : mode);
        check(temporary);
    } catch (const Error& e) {
        std::filesystem::remove(temporary, ec);
        throw EnrolmentError(file.string() + ": " + what + " would not leave a valid configuration (" + e.what() +
                             "); nothing was changed");
    }
    if (::rename(temporary.c_str(), file.c_str()) != 0) {
        std::filesystem::remove(temporary, ec);
        throw EnrolmentError(file.string() + " could not be replaced; nothing was changed");
    }
    // The rename is durable once the folder is synced.
    const int dir = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

std::string configText(const std::filesystem::path& file) {
    try {
        return readWholeFile(file, 16 << 20);
    } catch (const CaError& e) {
        throw EnrolmentError(std::string(e.what()) + "; nothing was changed");
    }
}

}  // namespace

void appendSection(const std::filesystem::path& file, std::string_view section, std::string_view body,
                   const std::function<void(const std::filesystem::path&)>& check) {
    const std::string text = configText(file);
    if (hasSection(text, section)) {
        throw EnrolmentError(file.string() + " already has a [" + std::string(section) +
                             "] section; nothing was changed (remove it first to enrol the party again)");
    }
    installText(file, withSection(text, section, body), "adding [" + std::string(section) + "]", check);
}

std::string withSectionReplaced(std::string_view text, std::string_view section, std::string_view body) {
    const std::string wanted = "[" + std::string(section) + "]";
    // Lines with their endings, so that what is kept is kept byte for byte.
    std::vector<std::string_view> lines;
    for (std::size_t at = 0; at < text.size();) {
        const auto end = text.find('\n', at);
        const std::size_t next = end == std::string_view::npos ? text.size() : end + 1;
        lines.push_back(text.substr(at, next - at));
        at = next;
    }
    std::size_t header = 0;
    while (header < lines.size() && trimmed(lines[header]) != wanted) ++header;
    std::size_t next = header + 1;
    while (next < lines.size() && !trimmed(lines[next]).starts_with("[")) ++next;
    // What stands before the next header after a blank line (blank lines, a comment
    // introducing that section) is not this section's: it stays.
    std::size_t blanksFrom = next;
    if (next < lines.size()) {
        std::size_t k = next;
        while (k > header + 1) {
            const std::string line = trimmed(lines[k - 1]);
            if (!line.empty() && line[0] != ';' && line[0] != '#') break;
            --k;
        }
        while (k < next && !trimmed(lines[k]).empty()) ++k;  // comments glued to the section's end are its own
        blanksFrom = k;
    }
    std::string out;
    for (std::size_t i = 0; i < header; ++i) out += lines[i];
    out += wanted + "\n";
    out += body;
    if (!out.empty() && out.back() != '\n') out += '\n';
    for (std::size_t i = blanksFrom; i < lines.size(); ++i) out += lines[i];
    return out;
}

void replaceSection(const std::filesystem::path& file, std::string_view section, std::string_view body,
                    const std::function<void(const std::filesystem::path&)>& check) {
    const std::string text = configText(file);
    if (!hasSection(text, section)) {
        throw EnrolmentError(file.string() + " has no [" + std::string(section) + "] section to replace; nothing "
                                                                                  "was changed");
    }
    installText(file, withSectionReplaced(text, section, body), "replacing [" + std::string(section) + "]", check);
}

}  // namespace passerelle::federation
