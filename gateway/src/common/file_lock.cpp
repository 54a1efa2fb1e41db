#include "common/file_lock.h"

#include "common/errors.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace passerelle {

namespace {

std::optional<int> lockedOrClosed(int fd) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
    ::close(fd);
    return std::nullopt;
}

}  // namespace

std::optional<FileLock> FileLock::tryAcquire(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw StoreError("cannot create the lock file " + file.string() + ": " + std::strerror(errno));
    }
    const auto locked = lockedOrClosed(fd);
    if (!locked) return std::nullopt;
    return FileLock(file, *locked);
}

FileLock FileLock::createHeld(const std::filesystem::path& file) {
    const std::filesystem::path temporary = file.string() + kTemporaryMark + std::to_string(::getpid());
    const int fd = ::open(temporary.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw StoreError("cannot create the lock file " + file.string() + ": " + std::strerror(errno));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || ::rename(temporary.c_str(), file.c_str()) != 0) {
        const int error = errno;
        ::close(fd);
        ::unlink(temporary.c_str());
        throw StoreError("cannot create the lock file " + file.string() + ": " + std::strerror(error));
    }
    return FileLock(file, fd);
}

bool FileLock::isTemporaryOfDeadProcess(const std::filesystem::path& file) {
    const std::string name = file.filename().string();
    const auto mark = name.rfind(kTemporaryMark);
    if (mark == std::string::npos) return false;
    const std::string digits = name.substr(mark + std::strlen(kTemporaryMark));
    if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) {
        return false;
    }
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
}

std::optional<FileLock> FileLock::tryAcquireExisting(const std::filesystem::path& file) {
    const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    const auto locked = lockedOrClosed(fd);
    if (!locked) return std::nullopt;
    return FileLock(file, *locked);
}

FileLock::FileLock(FileLock&& other) noexcept : file_(std::move(other.file_)), fd_(other.fd_) { other.fd_ = -1; }

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        file_ = std::move(other.file_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

FileLock::~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace passerelle
