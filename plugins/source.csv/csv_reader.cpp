#include "csv_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <unordered_set>

namespace passerelle::csv {

using sdk::rowError;

namespace {

constexpr std::size_t kInitialBufferBytes = std::size_t{1} << 20;
constexpr std::size_t kMinReadBytes = std::size_t{64} << 10;
constexpr std::size_t kMaxBufferBytes = kMaxRowBytes + 2 * kMinReadBytes;

std::uint64_t countNewlines(const char* p, std::size_t size) {
    std::uint64_t count = 0;
    const char* const end = p + size;
    while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p))))) {
        ++count;
        ++p;
    }
    return count;
}

std::string errnoText(int error) { return std::error_code(error, std::generic_category()).message(); }

unsigned long long ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

CsvReader::CsvReader(ReaderOptions options) : options_(std::move(options)) {
    fileName_ = options_.path;
    fd_ = ::open(options_.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw ReaderFailure("cannot open " + fileName_ + ": " + errnoText(errno));
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    capacity_ = kInitialBufferBytes;
    buffer_.reset(new char[capacity_]);
    if (options_.encoding != Encoding::Utf8) decoder_.emplace(options_.encoding);
    try {
        readHeader();
    } catch (...) {
        ::close(fd_);
        throw;
    }
}

CsvReader::~CsvReader() {
    if (fd_ >= 0) ::close(fd_);
}

bool CsvReader::fill() {
    if (eof_) return false;
    if (capacity_ - end_ < kMinReadBytes && begin_ > 0) {
        const std::size_t shift = begin_;
        std::memmove(buffer_.get(), buffer_.get() + shift, end_ - shift);
        begin_ = 0;
        end_ -= shift;
        scanPos_ -= shift;
    }
    if (capacity_ - end_ < kMinReadBytes && capacity_ < kMaxBufferBytes) {
        const std::size_t grown = std::min(capacity_ * 2, kMaxBufferBytes);
        std::unique_ptr<char[]> bigger(new char[grown]);
        std::memcpy(bigger.get(), buffer_.get(), end_);
        buffer_ = std::move(bigger);
        capacity_ = grown;
    }
    if (end_ == capacity_)
        throw ReaderFailure("internal error: the read buffer of " + fileName_ + " is full");
    ssize_t n;
    do {
        n = ::read(fd_, buffer_.get() + end_, capacity_ - end_);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw ReaderFailure("cannot read " + fileName_ + ": " + errnoText(errno));
    if (n == 0) {
        eof_ = true;
        return false;
    }
    end_ += static_cast<std::size_t>(n);
    return true;
}

// Finds where the row starting at begin_ ends (its unquoted '\n', or the end of
// the file), resuming from scanPos_. A quote opens a quoted field only at the
// start of a field, as RFC 4180 says; elsewhere it is an ordinary character.
CsvReader::Scan CsvReader::scanRow() {
    const char* const b = buffer_.get();
    const std::size_t rowStart = begin_;
    std::size_t p = scanPos_;
    for (;;) {
        if (!inQuotes_) {
            const auto* nl = static_cast<const char*>(std::memchr(b + p, '\n', end_ - p));
            const std::size_t limit = nl ? static_cast<std::size_t>(nl - b) : end_;
            const auto* q = static_cast<const char*>(std::memchr(b + p, '"', limit - p));
            bool opened = false;
            while (q != nullptr) {
                const auto at = static_cast<std::size_t>(q - b);
                if ((at == rowStart && !skipping_) || (at > rowStart && b[at - 1] == delimiter_)) {
                    opened = true;
                    p = at + 1;
                    break;
                }
                q = static_cast<const char*>(std::memchr(q + 1, '"', limit - at - 1));
            }
            if (opened) {
                inQuotes_ = true;
                rowHasQuotes_ = true;
                quoteLine_ = rowLine_ + newlinesInRow_;
                continue;
            }
            if (nl != nullptr || eof_) {
                rowEnd_ = limit;
                scanPos_ = limit;
                return Scan::Complete;
            }
            scanPos_ = end_;
            return Scan::NeedMore;
        }
        const auto* q = static_cast<const char*>(std::memchr(b + p, '"', end_ - p));
        const std::size_t limit = q ? static_cast<std::size_t>(q - b) : end_;
        newlinesInRow_ += countNewlines(b + p, limit - p);
        if (q == nullptr) {
            scanPos_ = end_;
            return eof_ ? Scan::Unterminated : Scan::NeedMore;
        }
        if (limit + 1 == end_ && !eof_) {  // is it "" or a closing quote? read on to know
            scanPos_ = limit;
            return Scan::NeedMore;
        }
        if (limit + 1 < end_ && b[limit + 1] == '"') {
            p = limit + 2;
            continue;
        }
        inQuotes_ = false;
        p = limit + 1;
    }
}

int CsvReader::readRecord(psl_error& err) {
    for (;;) {
        scanPos_ = begin_;
        inQuotes_ = false;
        rowHasQuotes_ = false;
        skipping_ = false;
        newlinesInRow_ = 0;
        rowLine_ = nextLine_;

        Scan scan;
        while ((scan = scanRow()) == Scan::NeedMore) {
            if (!skipping_ && end_ - begin_ >= kMaxRowBytes) skipping_ = true;
            // While skipping, drop what was scanned but keep the byte before the
            // scan position: it tells whether a quote there opens a field.
            if (skipping_ && scanPos_ > begin_ + 1) begin_ = scanPos_ - 1;
            fill();
        }
        const std::uint64_t line = rowLine_;
        nextLine_ = rowLine_ + newlinesInRow_ + 1;
        if (scan == Scan::Unterminated) {
            // Everything after the quote was read as one field, so say which
            // lines are lost: they are not reported one by one.
            const bool endsWithNewline = end_ > 0 && buffer_[end_ - 1] == '\n';
            const std::uint64_t lastLine = rowLine_ + newlinesInRow_ - (endsWithNewline ? 1 : 0);
            begin_ = end_;
            if (lastLine <= quoteLine_) {
                return rowError(err, quoteLine_, 0,
                                "line %llu: a quoted field opens on this line and its closing quote is missing "
                                "before the end of the file",
                                ull(quoteLine_));
            }
            return rowError(err, quoteLine_, 0,
                            "line %llu: a quoted field opens on this line and its closing quote is missing "
                            "before the end of the file, so lines %llu to %llu were not read; close the quote "
                            "(or double it if it is part of the text)",
                            ull(quoteLine_), ull(rowLine_), ull(lastLine));
        }
        const std::size_t nextBegin = rowEnd_ < end_ ? rowEnd_ + 1 : end_;
        if (skipping_) {
            begin_ = nextBegin;
            return rowError(err, line, 0,
                            "line %llu: the row is longer than %zu MiB; is a closing quote missing?",
                            ull(line), kMaxRowBytes >> 20);
        }
        std::size_t rowEnd = rowEnd_;
        if (rowEnd > begin_ && buffer_[rowEnd - 1] == '\r') --rowEnd;
        if (rowEnd == begin_) {  // blank line, or the end of the file
            if (rowEnd_ == end_ && eof_) {
                begin_ = end_;
                return PSL_END;
            }
            begin_ = nextBegin;
            continue;
        }

        char* const row = buffer_.get() + begin_;
        const std::size_t rowBytes = rowEnd - begin_;
        std::size_t bad = rowBytes;
        // A single-byte charset is checked while it is transcoded, in one pass, when
        // the cells still point at the row's bytes (no quote was unescaped) and the
        // row cannot fail the field-length check (which an invalid byte must precede).
        const bool checkWhileTranscoding = decoder_ && !rowHasQuotes_ && rowBytes <= kMaxFieldBytes;
        if (!decoder_) {
            bad = findInvalidUtf8(row, rowBytes);
        } else if (!checkWhileTranscoding && !isAscii(row, rowBytes)) {
            bad = decoder_->findUndefined(row, rowBytes);
        }
        if (bad != rowBytes) {
            const int rc = reportInvalidText(err, begin_ + bad);
            begin_ = nextBegin;
            return rc;
        }

        cells_.clear();
        if (rowHasQuotes_) {
            std::size_t badColumn = 0;
            if (!splitQuoted(row, row + rowBytes, badColumn)) {
                begin_ = nextBegin;
                if (newlinesInRow_ > 0) {  // a stray quote joined the next lines to this row
                    return rowError(err, line, badColumn,
                                    "line %llu, column %zu: text follows the closing quote of a quoted field "
                                    "that runs to line %llu (quotes inside a quoted field must be doubled)",
                                    ull(line), badColumn, ull(line + newlinesInRow_));
                }
                return rowError(err, line, badColumn,
                                "line %llu, column %zu: text follows the closing quote of a quoted field "
                                "(quotes inside a quoted field must be doubled)",
                                ull(line), badColumn);
            }
        } else {
            splitPlain(row, row + rowBytes);
        }
        if (rowBytes > kMaxFieldBytes) {
            for (std::size_t i = 0; i < cells_.size(); ++i) {
                if (cells_[i].size > kMaxFieldBytes) {
                    begin_ = nextBegin;
                    return rowError(err, line, i + 1,
                                    "line %llu, column %zu: the field is longer than %zu MiB", ull(line),
                                    i + 1, kMaxFieldBytes >> 20);
                }
            }
        }
        if (decoder_) {
            const std::size_t undefined = transcodeCells(rowBytes);
            if (undefined != std::string::npos) {
                const int rc = reportInvalidText(err, undefined);
                begin_ = nextBegin;
                return rc;
            }
        }
        begin_ = nextBegin;  // the row's bytes stay in place until the next call
        return PSL_OK;
    }
}

void CsvReader::splitPlain(const char* p, const char* end) {
    for (;;) {
        const auto* d =
            static_cast<const char*>(std::memchr(p, delimiter_, static_cast<std::size_t>(end - p)));
        if (d == nullptr) {
            cells_.push_back({p, static_cast<std::size_t>(end - p)});
            return;
        }
        cells_.push_back({p, static_cast<std::size_t>(d - p)});
        p = d + 1;
    }
}

// Splits a row holding quoted fields, unescaping them in place: the unescaped
// text is never longer than the quoted text, so it is written over it.
bool CsvReader::splitQuoted(char* p, char* end, std::size_t& badColumn) {
    for (;;) {
        if (p < end && *p == '"') {
            char* const start = p;
            char* out = p;
            char* r = p + 1;
            for (;;) {
                auto* q = static_cast<char*>(std::memchr(r, '"', static_cast<std::size_t>(end - r)));
                if (q == nullptr) q = end;  // not reached: the scanner saw the closing quote
                const auto n = static_cast<std::size_t>(q - r);
                std::memmove(out, r, n);
                out += n;
                if (q == end) {
                    r = end;
                    break;
                }
                if (q + 1 < end && q[1] == '"') {
                    *out++ = '"';
                    r = q + 2;
                    continue;
                }
                r = q + 1;
                break;
            }
            cells_.push_back({start, static_cast<std::size_t>(out - start)});
            if (r == end) return true;
            if (*r != delimiter_) {
                badColumn = cells_.size();
                return false;
            }
            p = r + 1;
        } else {
            auto* d = static_cast<char*>(std::memchr(p, delimiter_, static_cast<std::size_t>(end - p)));
            if (d == nullptr) {
                cells_.push_back({p, static_cast<std::size_t>(end - p)});
                return true;
            }
            cells_.push_back({p, static_cast<std::size_t>(d - p)});
            p = d + 1;
        }
    }
}

std::size_t CsvReader::transcodeCells(std::size_t rowBytes) {
    const std::size_t needed = 3 * rowBytes + 3;
    if (utf8Capacity_ < needed) {
        utf8Capacity_ = std::max(needed, 2 * utf8Capacity_);
        utf8_.reset(new char[utf8Capacity_]);
    }
    char* out = utf8_.get();
    for (psl_str& cell : cells_) {
        const std::size_t ascii = asciiPrefix(cell.data, cell.size);
        if (ascii == cell.size) continue;  // ASCII is the same in UTF-8: keep pointing at it
        std::memcpy(out, cell.data, ascii);
        std::size_t written = 0;
        const std::size_t rest = cell.size - ascii;
        const std::size_t undefined = decoder_->decodeChecked(cell.data + ascii, rest, out + ascii, written);
        if (undefined != rest) {
            // Only reached for cells that still point into the read buffer (see readRecord).
            return static_cast<std::size_t>(cell.data + ascii + undefined - buffer_.get());
        }
        cell = {out, ascii + written};
        out += ascii + written;
    }
    return std::string::npos;
}

// Names the line and column (field) of the offending byte, never the byte or its text.
int CsvReader::reportInvalidText(psl_error& err, std::size_t badOffset) {
    const char* const b = buffer_.get();
    const std::uint64_t line = rowLine_ + countNewlines(b + begin_, badOffset - begin_);
    std::uint64_t column = 1;
    bool quoted = false;
    bool fieldStart = true;
    for (std::size_t i = begin_; i < badOffset; ++i) {
        const char c = b[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < badOffset && b[i + 1] == '"') {
                    ++i;
                } else {
                    quoted = false;
                }
            }
            continue;
        }
        if (c == delimiter_) {
            ++column;
            fieldStart = true;
            continue;
        }
        if (c == '"' && fieldStart) quoted = true;
        fieldStart = false;
    }
    if (!decoder_) {
        return rowError(err, line, column,
                        "line %llu, column %llu: the text is not valid UTF-8; if the file was saved in a "
                        "legacy charset, set encoding to windows-1252 or iso-8859-15",
                        ull(line), ull(column));
    }
    return rowError(err, line, column,
                    "line %llu, column %llu: a byte that %s does not define; check the encoding setting",
                    ull(line), ull(column), encodingName(options_.encoding));
}

void CsvReader::detectDelimiter() {
    const char* nl = nullptr;
    for (;;) {
        nl = static_cast<const char*>(std::memchr(buffer_.get() + begin_, '\n', end_ - begin_));
        if (nl != nullptr || end_ - begin_ >= kMaxRowBytes || !fill()) break;
    }
    const char* p = buffer_.get() + begin_;
    const char* const end = nl ? nl : buffer_.get() + end_;
    std::size_t semicolons = 0, commas = 0, tabs = 0;
    bool quoted = false;
    for (; p < end; ++p) {
        switch (*p) {
            case '"':
                quoted = !quoted;
                break;
            case ';':
                semicolons += !quoted;
                break;
            case ',':
                commas += !quoted;
                break;
            case '\t':
                tabs += !quoted;
                break;
            default:
                break;
        }
    }
    delimiter_ = ',';
    if (semicolons > 0 && semicolons >= commas && semicolons >= tabs) {
        delimiter_ = ';';
    } else if (tabs > commas) {
        delimiter_ = '\t';
    }
}

void CsvReader::readHeader() {
    while (end_ - begin_ < 3 && fill()) {
    }
    if (end_ - begin_ >= 3 && std::memcmp(buffer_.get() + begin_, "\xEF\xBB\xBF", 3) == 0) {
        if (decoder_) {
            throw ReaderFailure(fileName_ + " starts with a UTF-8 byte order mark but encoding is " +
                                encodingName(options_.encoding) + "; set encoding to utf-8");
        }
        begin_ += 3;
    }
    if (options_.delimiter != 0) {
        delimiter_ = options_.delimiter;
    } else {
        detectDelimiter();
    }

    psl_error err{};
    const int rc = readRecord(err);
    if (rc == PSL_END) throw ReaderFailure(fileName_ + " has no header line (the file is empty)");
    if (rc != PSL_OK) throw ReaderFailure(fileName_ + ": cannot read the first row: " + err.message);

    if (!options_.header) {
        for (std::size_t i = 0; i < cells_.size(); ++i)
            columnNames_.push_back("column" + std::to_string(i + 1));
        firstRowPending_ = true;
        firstRowLine_ = rowLine_;
    } else {
        std::unordered_set<std::string_view> seen;
        columnNames_.reserve(cells_.size());
        for (std::size_t i = 0; i < cells_.size(); ++i) {
            columnNames_.emplace_back(trim(std::string_view(cells_[i].data, cells_[i].size)));
        }
        for (std::size_t i = 0; i < columnNames_.size(); ++i) {
            if (!columnNames_[i].empty() && !seen.insert(columnNames_[i]).second) {
                throw ReaderFailure(fileName_ + ": header column " + std::to_string(i + 1) +
                                    " repeats the name '" + columnNames_[i] +
                                    "'; column names must be unique");
            }
        }
    }
    for (const std::string& name : columnNames_) columnRefs_.push_back({name.data(), name.size()});
}

int CsvReader::next(psl_row& row, psl_error& err) {
    std::uint64_t line;
    if (firstRowPending_) {
        firstRowPending_ = false;
        line = firstRowLine_;
    } else {
        const int rc = readRecord(err);
        if (rc != PSL_OK) return rc;
        line = rowLine_;
    }
    if (cells_.size() != columnRefs_.size()) {
        return rowError(err, line, 0, "line %llu has %zu fields, the %s has %zu", ull(line), cells_.size(),
                        options_.header ? "header" : "first row", columnRefs_.size());
    }
    row.line = line;
    row.cells = cells_.data();
    row.cell_count = cells_.size();
    return PSL_OK;
}

}  // namespace passerelle::csv
