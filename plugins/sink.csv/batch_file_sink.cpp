#include "batch_file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "csv_cell.h"

namespace passerelle::csv {

namespace {

constexpr std::size_t kFlushBytes = std::size_t{256} << 10;
constexpr std::size_t kMaxIdLength = 128;

std::string errnoText(int error) { return std::error_code(error, std::generic_category()).message(); }

// Batch ids and party ids become file names: only [A-Za-z0-9._-], so no path
// separator and no traversal can slip in.
void checkFileNamePart(const char* value, const char* what) {
    const std::string_view v = value ? value : "";
    if (v.empty() || v.size() > kMaxIdLength || v == "." || v == "..") {
        throw SinkFailure(std::string(what) + " must be 1 to 128 characters from [A-Za-z0-9._-]");
    }
    for (const char c : v) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '.' || c == '_' || c == '-';
        if (!ok)
            throw SinkFailure(std::string(what) +
                              " may only hold [A-Za-z0-9._-]; it cannot name a file safely");
    }
}

void writeAll(int fd, const char* data, std::size_t size, const std::string& path) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SinkFailure("cannot write " + path + ": " + errnoText(errno));
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

void syncDirectory(const std::string& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw SinkFailure("cannot open folder " + directory + " to sync it: " + errnoText(errno));
    const int rc = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (rc != 0) throw SinkFailure("cannot sync folder " + directory + ": " + errnoText(error));
}

}  // namespace

BatchFileSink::BatchFileSink(SinkOptions options) : options_(std::move(options)) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path dir(options_.directory);
    if (!fs::is_directory(dir, ec)) {
        if (fs::exists(dir, ec)) throw SinkFailure(options_.directory + " exists and is not a folder");
        if (!fs::create_directories(dir, ec) && ec) {
            throw SinkFailure("cannot create folder " + options_.directory + ": " + ec.message());
        }
        if (::chmod(options_.directory.c_str(), 0700) != 0) {
            throw SinkFailure("cannot restrict folder " + options_.directory +
                              " to its owner: " + errnoText(errno));
        }
    }
    if (::access(options_.directory.c_str(), W_OK | X_OK) != 0) {
        throw SinkFailure("cannot write in folder " + options_.directory + ": " + errnoText(errno));
    }
    indexPath_ = (dir / "index.csv").string();
}

BatchFileSink::~BatchFileSink() { abort(); }

void BatchFileSink::begin(const psl_batch_info& info) {
    if (active_) throw SinkFailure("batch " + batchId_ + " is still open; commit or abort it first");
    checkFileNamePart(info.batch_id, "the batch id");
    checkFileNamePart(info.sender, "the sender id");
    if (info.field_count == 0 || info.fields == nullptr) throw SinkFailure("the batch has no field names");

    batchId_ = info.batch_id;
    sender_ = info.sender;
    purpose_ = info.purpose ? info.purpose : "";
    fieldCount_ = info.field_count;
    columns_.emplace(options_.layout, info);
    announced_ = info.record_count;
    written_ = 0;
    const std::filesystem::path dir(options_.directory);
    tempPath_ = (dir / ("." + batchId_ + ".csv.tmp")).string();
    finalName_ = sender_ + "_" + batchId_ + ".csv";

    fd_ = ::open(tempPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) throw SinkFailure("cannot create " + tempPath_ + ": " + errnoText(errno));
    active_ = true;
    if (::fchmod(fd_, 0600) != 0) {  // a leftover temporary file keeps its mode through O_TRUNC
        const int error = errno;
        abort();
        throw SinkFailure("cannot restrict " + tempPath_ + " to its owner: " + errnoText(error));
    }
    pending_.clear();
    if (options_.byteOrderMark) pending_.append("\xEF\xBB\xBF");
    for (std::size_t i = 0; i < columns_->size(); ++i) {
        if (i > 0) pending_.push_back(options_.delimiter);
        appendCsvCell(pending_, columns_->header(i), options_.delimiter);
    }
    pending_.append("\r\n");
}

void BatchFileSink::write(const psl_str* values, std::size_t count) {
    if (!active_) throw SinkFailure("write_record called with no batch begun");
    if (count != fieldCount_) {
        throw SinkFailure("record " + std::to_string(written_ + 1) + " of batch " + batchId_ + " has " +
                          std::to_string(count) + " values, the batch has " + std::to_string(fieldCount_) +
                          " fields");
    }
    for (std::size_t i = 0; i < columns_->size(); ++i) {
        if (i > 0) pending_.push_back(options_.delimiter);
        appendCsvCell(pending_, columns_->value(i, values), options_.delimiter);
    }
    pending_.append("\r\n");
    ++written_;
    if (pending_.size() >= kFlushBytes) flush();
}

void BatchFileSink::flush() {
    writeAll(fd_, pending_.data(), pending_.size(), tempPath_);
    pending_.clear();
}

void BatchFileSink::commit() {
    if (!active_) throw SinkFailure("commit_batch called with no batch begun");
    if (announced_ != 0 && announced_ != written_) {
        throw SinkFailure("batch " + batchId_ + " announced " + std::to_string(announced_) + " records but " +
                          std::to_string(written_) + " were written; abort it");
    }
    flush();
    if (::fsync(fd_) != 0) throw SinkFailure("cannot sync " + tempPath_ + ": " + errnoText(errno));
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw SinkFailure("cannot close " + tempPath_ + ": " + errnoText(errno));

    const std::string finalPath = (std::filesystem::path(options_.directory) / finalName_).string();
    // RENAME_NOREPLACE: a batch delivered twice keeps the file of its first delivery.
    bool alreadyThere = false;
    if (::renameat2(AT_FDCWD, tempPath_.c_str(), AT_FDCWD, finalPath.c_str(), RENAME_NOREPLACE) != 0) {
        if (errno == EEXIST) {
            alreadyThere = true;
        } else if (errno == EINVAL || errno == ENOSYS) {  // file system without RENAME_NOREPLACE
            struct stat st;
            if (::lstat(finalPath.c_str(), &st) == 0) {
                alreadyThere = true;
            } else if (::rename(tempPath_.c_str(), finalPath.c_str()) != 0) {
                throw SinkFailure("cannot rename " + tempPath_ + " to " + finalPath + ": " +
                                  errnoText(errno));
            }
        } else {
            throw SinkFailure("cannot rename " + tempPath_ + " to " + finalPath + ": " + errnoText(errno));
        }
    }
    if (alreadyThere) ::unlink(tempPath_.c_str());
    active_ = false;  // from here a retry is a redelivery, which the index check below completes
    syncDirectory(options_.directory);
    appendToIndex(alreadyThere);
}

// One line per batch: batch_id,sender,purpose,record_count,file. After a crash
// between the rename and this append, the redelivery adds the missing line.
void BatchFileSink::appendToIndex(bool onlyIfMissing) {
    const int fd = ::open(indexPath_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) throw SinkFailure("cannot open " + indexPath_ + ": " + errnoText(errno));
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};

    struct stat st;
    if (::fstat(fd, &st) != 0) throw SinkFailure("cannot stat " + indexPath_ + ": " + errnoText(errno));
    const std::string prefix = batchId_ + "," + sender_ + ",";
    if (onlyIfMissing && st.st_size > 0) {
        std::string content(static_cast<std::size_t>(st.st_size), '\0');
        const ssize_t n = ::pread(fd, content.data(), content.size(), 0);
        if (n < 0) throw SinkFailure("cannot read " + indexPath_ + ": " + errnoText(errno));
        content.resize(static_cast<std::size_t>(n));
        for (std::size_t pos = 0; pos < content.size();) {
            if (content.compare(pos, prefix.size(), prefix) == 0) return;
            const std::size_t nl = content.find('\n', pos);
            if (nl == std::string::npos) break;
            pos = nl + 1;
        }
    }
    std::string line;
    if (st.st_size == 0) line = "batch_id,sender,purpose,record_count,file\r\n";
    line += prefix;
    appendCsvCell(line, purpose_, ',');
    line += ',';
    line += std::to_string(written_);
    line += ',';
    line += finalName_;
    line += "\r\n";
    writeAll(fd, line.data(), line.size(), indexPath_);
    if (::fsync(fd) != 0) throw SinkFailure("cannot sync " + indexPath_ + ": " + errnoText(errno));
}

void BatchFileSink::abort() noexcept {
    if (!active_) return;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    ::unlink(tempPath_.c_str());
    pending_.clear();
    active_ = false;
}

}  // namespace passerelle::csv
