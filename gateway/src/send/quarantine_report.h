#pragma once
// Where refused records are accounted for: one CSV line per problem with the
// source line, the column or field and the reason. It holds no data value,
// so it may be shared with whoever fixes the export.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace passerelle::exchange {

class QuarantineReport {
public:
    explicit QuarantineReport(std::filesystem::path file);
    ~QuarantineReport();

    void add(std::uint64_t line, std::string_view where, std::string_view reason);
    // Flushes and closes; throws StoreError when the report cannot be written.
    void close();

    const std::filesystem::path& file() const { return file_; }
    std::uint64_t problems() const { return problems_; }

private:
    std::filesystem::path file_;
    std::ofstream out_;
    std::uint64_t problems_ = 0;
};

}  // namespace passerelle::exchange
