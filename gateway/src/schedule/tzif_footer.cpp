#include "schedule/tzif_footer.h"

#include <array>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string_view>

#include "common/errors.h"

namespace passerelle::schedule {

namespace {

constexpr std::size_t kHeaderSize = 44;           // RFC 8536 §3.1
constexpr std::uintmax_t kMaxFileSize = 1 << 20;  // real ones are a few kB
constexpr std::size_t kMaxFooterSize = 256;

struct TzifHeader {
    char version = 0;  // 0, '2', '3', '4'...
    // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    std::array<std::uint64_t, 6> counts{};

    // The size of the data block that follows, with `timeSize`-byte times (4 in v1, 8 after).
    std::uint64_t dataSize(std::uint64_t timeSize) const {
        const auto [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] = counts;
        return timecnt * timeSize + timecnt + typecnt * 6 + charcnt + leapcnt * (timeSize + 4) + isstdcnt +
               isutcnt;
    }
};

class TzifReader {
public:
    TzifReader(const std::filesystem::path& file, std::string bytes)
        : file_(file), bytes_(std::move(bytes)) {}

    std::optional<std::string> footer() {
        const TzifHeader v1 = header();
        skip(v1.dataSize(4), "version 1 data");
        if (v1.version == 0) return std::nullopt;
        const TzifHeader v2 = header();
        skip(v2.dataSize(8), "version 2 data");

        if (pos_ >= bytes_.size()) fail("ends before its footer");
        if (bytes_[pos_] != '\n') fail("footer does not start with a newline");
        const std::size_t end = bytes_.find('\n', pos_ + 1);
        if (end == std::string::npos) fail("footer is not terminated by a newline");
        if (end - pos_ - 1 > kMaxFooterSize)
            fail("footer is longer than " + std::to_string(kMaxFooterSize) + " bytes");
        std::string rule = bytes_.substr(pos_ + 1, end - pos_ - 1);
        if (rule.empty()) return std::nullopt;
        return rule;
    }

private:
    [[noreturn]] void fail(const std::string& problem) const {
        throw ConfigError("time zone file '" + file_.string() + "': " + problem);
    }

    TzifHeader header() {
        if (pos_ == 0 && bytes_.compare(0, 4, "TZif") != 0)
            fail("not a TZif file (no 'TZif' magic at byte 0)");
        if (bytes_.size() - pos_ < kHeaderSize) fail("truncated TZif header at byte " + std::to_string(pos_));
        if (bytes_.compare(pos_, 4, "TZif") != 0) fail("no 'TZif' magic at byte " + std::to_string(pos_));
        TzifHeader header;
        header.version = bytes_[pos_ + 4];
        if (header.version != 0 && header.version < '2') fail("unknown TZif version byte");
        for (std::size_t i = 0; i < header.counts.size(); ++i) {
            std::uint64_t value = 0;
            for (std::size_t b = 0; b < 4; ++b) {
                value = (value << 8) | static_cast<unsigned char>(bytes_[pos_ + 20 + 4 * i + b]);
            }
            header.counts[i] = value;
        }
        pos_ += kHeaderSize;
        return header;
    }

    void skip(std::uint64_t size, const std::string& what) {
        if (size > bytes_.size() - pos_) fail("truncated " + what);
        pos_ += static_cast<std::size_t>(size);
    }

    const std::filesystem::path& file_;
    std::string bytes_;
    std::size_t pos_ = 0;
};

}  // namespace

std::optional<std::string> readTzifFooter(const std::filesystem::path& file) {
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(file, ec);
    if (ec) throw ConfigError("time zone file '" + file.string() + "': " + ec.message());
    if (size > kMaxFileSize)
        throw ConfigError("time zone file '" + file.string() + "': too large for a TZif file");
    std::ifstream in(file, std::ios::binary);
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in && !in.eof()) throw ConfigError("time zone file '" + file.string() + "': cannot be read");
    return TzifReader(file, std::move(bytes)).footer();
}

}  // namespace passerelle::schedule
