#pragma once
// An advisory lock on a file (flock): held by this process until destroyed,
// and released by the kernel when the process dies, however it dies. Used to
// tell work in progress from work a killed process left behind.

#include <filesystem>
#include <optional>

namespace passerelle {

class FileLock {
public:
    // Creates the file if needed (mode 0600) and takes its lock without waiting;
    // nullopt when another process holds it. Throws StoreError when the file
    // cannot be created.
    static std::optional<FileLock> tryAcquire(const std::filesystem::path& file);

    // For a lock whose name is new (one per batch): the file appears already
    // locked (written under a temporary name, locked, then renamed), so no
    // other process can ever take it between its creation and its lock.
    // Throws StoreError when it cannot be created.
    static FileLock createHeld(const std::filesystem::path& file);

    // The temporary file createHeld writes before its rename, named after the
    // creating process; true when that process no longer exists on this host,
    // so a kill between creation and rename left it behind.
    static bool isTemporaryOfDeadProcess(const std::filesystem::path& file);
    static constexpr const char* kTemporaryMark = ".new-";

    // Takes the lock of a file that exists, without creating it: nullopt when
    // another process holds it or the file is gone (its holder finished).
    static std::optional<FileLock> tryAcquireExisting(const std::filesystem::path& file);

    FileLock(FileLock&& other) noexcept;
    FileLock& operator=(FileLock&& other) noexcept;
    FileLock(const FileLock&) = delete;
    ~FileLock();

    const std::filesystem::path& file() const { return file_; }

private:
    FileLock(std::filesystem::path file, int fd) : file_(std::move(file)), fd_(fd) {}
    std::filesystem::path file_;
    int fd_ = -1;
};

}  // namespace passerelle
