#include "console/access_token.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "common/encoding.h"
#include "common/errors.h"
#include "common/random_id.h"

namespace passerelle::console {

namespace {

constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kMinimumTokenLength = 32;  // an operator-written token must not be guessable either

[[noreturn]] void refuse(const std::filesystem::path& configFile, const std::filesystem::path& file,
                         const std::string& why) {
    throw ConfigError(configFile.string() + ": key 'console.token_file': " + file.string() + ": " + why);
}

void create(const std::filesystem::path& file, const std::filesystem::path& configFile) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    // O_EXCL: never follow or reuse a file someone else placed there meanwhile.
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) refuse(configFile, file, std::string("cannot create it: ") + std::strerror(errno));
    const std::string text = randomHex(kTokenBytes) + "\n";
    const bool written =
        ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) refuse(configFile, file, std::string("cannot write it: ") + std::strerror(errno));
}

}  // namespace

AccessToken AccessToken::loadOrCreate(const std::filesystem::path& file,
                                      const std::filesystem::path& configFile) {
    struct stat st {};
    if (::lstat(file.c_str(), &st) != 0) {
        if (errno != ENOENT) refuse(configFile, file, std::strerror(errno));
        create(file, configFile);
        if (::lstat(file.c_str(), &st) != 0) refuse(configFile, file, std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) refuse(configFile, file, "not a regular file");
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        refuse(configFile, file,
               std::string("group or others may access it (mode ") + mode +
                   "); whoever reads it can open the console: run 'chmod 600 " + file.string() + "'");
    }
    std::ifstream in(file);
    std::string token;
    in >> token;
    if (token.size() < kMinimumTokenLength) {
        refuse(configFile, file, "it holds no token of at least 32 characters (delete it to get a new one)");
    }
    return AccessToken(token);
}

bool AccessToken::matches(std::string_view candidate) const {
    // The length is not secret (every generated token has the same one).
    return candidate.size() == value_.size() &&
           sodium_memcmp(candidate.data(), value_.data(), value_.size()) == 0;
}

}  // namespace passerelle::console
