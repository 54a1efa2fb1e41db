#include "privacy/posix_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace passerelle::privacy::detail {

namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path) {
    const int err = errno;
    throw std::system_error(err, std::generic_category(), what + " " + path.string());
}

}  // namespace

std::string errnoText(int err) { return std::generic_category().message(err); }

PosixFile::~PosixFile() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

PosixFile::PosixFile(PosixFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

PosixFile& PosixFile::operator=(PosixFile&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
    }
    return *this;
}

PosixFile PosixFile::createExclusive(const std::filesystem::path& path, unsigned mode) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        fail("cannot create", path);
    }
    return PosixFile(fd, path);
}

PosixFile PosixFile::createOrTruncate(const std::filesystem::path& path, unsigned mode) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        fail("cannot create", path);
    }
    return PosixFile(fd, path);
}

PosixFile PosixFile::openRead(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail("cannot open", path);
    }
    return PosixFile(fd, path);
}

std::size_t PosixFile::readFull(std::span<std::uint8_t> buf) {
    std::size_t done = 0;
    while (done < buf.size()) {
        const ssize_t n = ::read(fd_, buf.data() + done, buf.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail("cannot read", path_);
        }
        if (n == 0) {
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    return done;
}

void PosixFile::writeAll(std::span<const std::uint8_t> data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail("cannot write", path_);
        }
        done += static_cast<std::size_t>(n);
    }
}

void PosixFile::sync() {
    if (::fsync(fd_) != 0) {
        fail("cannot fsync", path_);
    }
}

void PosixFile::close() {
    if (fd_ >= 0) {
        const int fd = std::exchange(fd_, -1);
        if (::close(fd) != 0) {
            fail("cannot close", path_);
        }
    }
}

std::uint64_t PosixFile::size() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        fail("cannot stat", path_);
    }
    return static_cast<std::uint64_t>(st.st_size);
}

unsigned PosixFile::mode() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        fail("cannot stat", path_);
    }
    return static_cast<unsigned>(st.st_mode) & 07777u;
}

void PosixFile::rewind() {
    if (::lseek(fd_, 0, SEEK_SET) != 0) {
        fail("cannot seek", path_);
    }
}

void syncDirectory(const std::filesystem::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        fail("cannot open folder", dir);
    }
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) {
        fail("cannot fsync folder", dir);
    }
}

std::vector<std::uint8_t> readSmallFile(const std::filesystem::path& path, std::size_t maxBytes) {
    PosixFile file = PosixFile::openRead(path);
    const std::uint64_t size = file.size();
    if (size > maxBytes) {
        throw std::runtime_error(path.string() + " is larger than " + std::to_string(maxBytes) + " bytes");
    }
    std::vector<std::uint8_t> out(static_cast<std::size_t>(size));
    out.resize(file.readFull(out));
    return out;
}

void writeFileAtomically(const std::filesystem::path& path, std::span<const std::uint8_t> data,
                         unsigned mode) {
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    PosixFile file = PosixFile::createOrTruncate(tmp, mode);
    file.writeAll(data);
    file.sync();
    file.close();
    std::filesystem::rename(tmp, path);
}

}  // namespace passerelle::privacy::detail
