#pragma once
// A streaming RFC 4180 reader. The file is read through one buffer that only
// grows to hold the longest row (up to kMaxRowBytes); cells point into that
// buffer (quoted fields are unescaped in place) or, for single-byte charsets,
// into one reusable UTF-8 buffer. Nothing is allocated per row once warm.

#include <passerelle/plugin_adapter.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "text_encoding.h"

namespace passerelle::csv {

inline constexpr std::size_t kMaxFieldBytes = std::size_t{16} << 20;
inline constexpr std::size_t kMaxRowBytes = std::size_t{32} << 20;

struct ReaderOptions {
    std::string path;
    Encoding encoding = Encoding::Utf8;
    char delimiter = 0;  // 0: detect from the header line
    bool header = true;
};

// The reader cannot go on (open failed, read error). The message names the
// file and never quotes its contents.
class ReaderFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class CsvReader {
public:
    explicit CsvReader(ReaderOptions options);  // throws ReaderFailure
    ~CsvReader();
    CsvReader(const CsvReader&) = delete;
    CsvReader& operator=(const CsvReader&) = delete;

    const std::vector<psl_str>& columns() const { return columnRefs_; }

    // PSL_OK, PSL_END or PSL_ROW_ERROR; throws ReaderFailure on I/O errors.
    int next(psl_row& row, psl_error& err);

private:
    enum class Scan { Complete, NeedMore, Unterminated };

    int readRecord(psl_error& err);  // PSL_OK with cells_ filled, PSL_END or PSL_ROW_ERROR
    Scan scanRow();
    bool fill();  // false at end of file
    void detectDelimiter();
    void readHeader();
    int reportInvalidText(psl_error& err, std::size_t badOffset);
    bool splitQuoted(char* begin, char* end, std::size_t& badColumn);
    void splitPlain(const char* begin, const char* end);
    // Transcodes the cells of a single-byte charset row; returns the buffer offset
    // of the first byte the charset leaves undefined, or npos.
    std::size_t transcodeCells(std::size_t rowBytes);

    ReaderOptions options_;
    std::string fileName_;  // for messages
    int fd_ = -1;
    char delimiter_ = ',';
    std::optional<SingleByteDecoder> decoder_;

    // Read buffer: bytes [begin_, end_) are unread; the current row starts at begin_.
    std::unique_ptr<char[]> buffer_;
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    bool eof_ = false;

    // Row scanner state, kept across refills so a long row is scanned once.
    std::size_t scanPos_ = 0;
    std::size_t rowEnd_ = 0;
    bool inQuotes_ = false;
    bool rowHasQuotes_ = false;
    bool skipping_ = false;  // the row outgrew kMaxRowBytes: discard it up to its end
    std::uint64_t nextLine_ = 1;
    std::uint64_t rowLine_ = 1;
    std::uint64_t newlinesInRow_ = 0;
    std::uint64_t quoteLine_ = 0;

    std::vector<psl_str> cells_;
    std::unique_ptr<char[]> utf8_;  // transcoded cells (single-byte charsets only)
    std::size_t utf8Capacity_ = 0;

    std::vector<std::string> columnNames_;
    std::vector<psl_str> columnRefs_;
    bool firstRowPending_ = false;  // header=false: the first row was read by open
    std::uint64_t firstRowLine_ = 0;
};

}  // namespace passerelle::csv
