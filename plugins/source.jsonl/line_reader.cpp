#include "line_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace passerelle::jsonl {

namespace {

constexpr std::size_t kBufferBytes = std::size_t{64} << 10;

std::string errnoText(int error) { return std::error_code(error, std::generic_category()).message(); }

}  // namespace

LineReader::LineReader(std::string path, std::size_t maxLineBytes)
    : path_(std::move(path)), maxLineBytes_(maxLineBytes), buffer_(new char[kBufferBytes]) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw SourceFailure("cannot open " + path_ + ": " + errnoText(errno));
}

LineReader::~LineReader() { ::close(fd_); }

bool LineReader::fill() {
    ssize_t n;
    do {
        n = ::read(fd_, buffer_.get(), kBufferBytes);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw SourceFailure("cannot read " + path_ + ": " + errnoText(errno));
    begin_ = 0;
    end_ = static_cast<std::size_t>(n);
    return n > 0;
}

LineReader::Result LineReader::next(std::string_view& line) {
    line_.clear();
    bool started = false;  // a line ends at "\n" or at the end of the file, if it has any byte
    bool tooLong = false;
    for (;;) {
        if (begin_ == end_ && !fill()) {
            if (!started) return Result::End;
            break;
        }
        const char* const from = buffer_.get() + begin_;
        const auto* newline = static_cast<const char*>(std::memchr(from, '\n', end_ - begin_));
        const std::size_t take = newline ? static_cast<std::size_t>(newline - from) : end_ - begin_;
        started = true;
        // Past the limit, the rest of the line is read and dropped, never stored.
        if (!tooLong && line_.size() + take > maxLineBytes_) {
            tooLong = true;
            line_.clear();
        }
        if (!tooLong) line_.append(from, take);
        begin_ += take;
        if (newline) {
            ++begin_;
            break;
        }
    }
    ++lineNumber_;
    if (tooLong) return Result::TooLong;
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    line = line_;
    if (lineNumber_ == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    return Result::Line;
}

}  // namespace passerelle::jsonl
