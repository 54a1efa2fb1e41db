#pragma once
// Thin RAII wrappers over POSIX file descriptors: key files need O_EXCL and an
// exact mode at creation, and sealed batches need fsync on files and folders.
// Internal to the privacy library.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace passerelle::privacy::detail {

class PosixFile {
public:
    PosixFile() = default;
    ~PosixFile();
    PosixFile(const PosixFile&) = delete;
    PosixFile& operator=(const PosixFile&) = delete;
    PosixFile(PosixFile&& other) noexcept;
    PosixFile& operator=(PosixFile&& other) noexcept;

    // Creates a new file with exactly `mode` (O_CREAT|O_EXCL); fails if it exists.
    static PosixFile createExclusive(const std::filesystem::path& path, unsigned mode);
    // Creates or truncates.
    static PosixFile createOrTruncate(const std::filesystem::path& path, unsigned mode);
    static PosixFile openRead(const std::filesystem::path& path);

    // Reads up to buf.size() bytes, looping until full or EOF; returns bytes read.
    std::size_t readFull(std::span<std::uint8_t> buf);
    void writeAll(std::span<const std::uint8_t> data);
    void sync();
    void close();
    std::uint64_t size() const;
    unsigned mode() const;  // permission bits
    void rewind();
    const std::filesystem::path& path() const { return path_; }
    bool isOpen() const { return fd_ >= 0; }

private:
    PosixFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
    int fd_ = -1;
    std::filesystem::path path_;
};

// fsync a folder so renames inside it survive a crash.
void syncDirectory(const std::filesystem::path& dir);

// Reads a whole small file; throws std::runtime_error naming the file if it is larger than maxBytes.
std::vector<std::uint8_t> readSmallFile(const std::filesystem::path& path, std::size_t maxBytes);

// Writes data to path via path.tmp + fsync + rename (no folder fsync).
void writeFileAtomically(const std::filesystem::path& path, std::span<const std::uint8_t> data,
                         unsigned mode);

std::string errnoText(int err);

}  // namespace passerelle::privacy::detail
