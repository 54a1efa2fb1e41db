#include "federation/ca_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace passerelle::federation {

namespace {

std::string failure(const std::filesystem::path& path, const std::string& what) {
    return "cannot " + what + " " + path.string() + ": " + std::strerror(errno);
}

void writeAllAndSync(int fd, const std::filesystem::path& path, std::string_view data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const std::string why = failure(path, "write");
            ::close(fd);
            throw CaError(why);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) throw CaError(failure(path, "sync"));
}

}  // namespace

bool CaFolder::holdsCa() const {
    for (const auto& file : {rootKey(), rootCertificate(), issuingKey(), issuingCertificate(), trustFile(),
                             rootCrl(), index()}) {
        if (std::filesystem::exists(file)) return true;
    }
    return false;
}

void writeNewFile(const std::filesystem::path& path, std::string_view data, unsigned mode) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        throw CaError(errno == EEXIST ? path.string() + " already exists; nothing was overwritten"
                                      : failure(path, "create"));
    }
    ::fchmod(fd, mode);  // the umask may have narrowed it; never widened beyond `mode`
    writeAllAndSync(fd, path, data);
}

void replaceFile(const std::filesystem::path& path, std::string_view data, unsigned mode) {
    std::filesystem::path temporary = path;
    temporary += ".tmp";
    std::filesystem::remove(temporary);
    writeNewFile(temporary, data, mode);
    if (::rename(temporary.c_str(), path.c_str()) != 0) throw CaError(failure(path, "replace"));
}

void appendLine(const std::filesystem::path& path, std::string_view line) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) throw CaError(failure(path, "open"));
    writeAllAndSync(fd, path, std::string(line) + "\n");
}

std::string readWholeFile(const std::filesystem::path& path, std::size_t maxBytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CaError("cannot read " + path.string() + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str().size() > maxBytes) {
        throw CaError(path.string() + " is larger than " + std::to_string(maxBytes) +
                      " bytes: not a file the CA wrote");
    }
    return text.str();
}

void requireOwnerOnly(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        throw KeyError("cannot read " + path.string() + ": " + std::strerror(errno));
    }
    if ((info.st_mode & 077) != 0) {
        throw KeyError(path.string() + " is readable by group or others: run chmod 600 on it");
    }
}

}  // namespace passerelle::federation
