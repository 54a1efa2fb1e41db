#include "federation/config_file_edit.h"

#include <fcntl.h>
#include <unistd.h>

#include <sstream>

#include "federation/ca_folder.h"
#include "federation/enrolment_request.h"

namespace passerelle::federation {

namespace {

std::string trimmed(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    return std::string(s.substr(first, s.find_last_not_of(" \t\r") - first + 1));
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

void appendSection(const std::filesystem::path& file, std::string_view section, std::string_view body,
                   const std::function<void(const std::filesystem::path&)>& check) {
    std::string text;
    try {
        text = readWholeFile(file, 16 << 20);
    } catch (const CaError& e) {
        throw EnrolmentError(std::string(e.what()) + "; nothing was changed");
    }
    if (hasSection(text, section)) {
        throw EnrolmentError(file.string() + " already has a [" + std::string(section) +
                             "] section; nothing was changed (remove it first to enrol the party again)");
    }
    std::error_code ec;
    const auto mode = static_cast<unsigned>(std::filesystem::status(file, ec).permissions()) & 0777u;
    const std::filesystem::path temporary = file.string() + ".enrol.tmp";
    std::filesystem::remove(temporary, ec);
    try {
        writeNewFile(temporary, withSection(text, section, body), mode == 0 ? 0640 : mode);
        check(temporary);
    } catch (const Error& e) {
        std::filesystem::remove(temporary, ec);
        throw EnrolmentError(file.string() + ": adding [" + std::string(section) +
                             "] would not leave a valid configuration (" + e.what() + "); nothing was changed");
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

}  // namespace passerelle::federation
