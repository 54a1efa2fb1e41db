#pragma once
// Reads a file one line at a time through a fixed-size buffer, so memory does
// not grow with the file: only the current line is kept, and a line longer than
// the limit is skipped to its end instead of being held.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace passerelle::jsonl {

// The file cannot be read at all. The message names the file, never its contents.
class SourceFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class LineReader {
public:
    enum class Result { Line, TooLong, End };

    LineReader(std::string path, std::size_t maxLineBytes);  // throws SourceFailure
    ~LineReader();
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    // Line: `line` holds the next line without its "\n" or "\r\n" (and, on line 1,
    // without a UTF-8 byte order mark), valid until the next call. TooLong: the
    // line had more than maxLineBytes bytes and was skipped. End: nothing is left.
    Result next(std::string_view& line);

    // The 1-based number of the line next() returned last.
    std::uint64_t lineNumber() const { return lineNumber_; }

private:
    bool fill();  // false at the end of the file; throws SourceFailure on a read error

    std::string path_;
    std::size_t maxLineBytes_;
    int fd_ = -1;
    std::unique_ptr<char[]> buffer_;
    std::size_t begin_ = 0;  // unread bytes are buffer_[begin_, end_)
    std::size_t end_ = 0;
    std::string line_;
    std::uint64_t lineNumber_ = 0;
};

}  // namespace passerelle::jsonl
