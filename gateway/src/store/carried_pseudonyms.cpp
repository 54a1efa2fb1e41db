#include "store/carried_pseudonyms.h"

#include "common/errors.h"
#include "common/identifiers.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace passerelle::store {

namespace {

constexpr std::string_view kSuffix = ".pseudonyms";
constexpr std::string_view kTemporarySuffix = ".pseudonyms.tmp";

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& file, int err) {
    throw StoreError("cannot " + what + " " + file.string() + ": " + std::strerror(err));
}

}  // namespace

CarriedPseudonymsWriter::CarriedPseudonymsWriter(std::filesystem::path dir, std::string batchId)
    : tmp_(childPath(dir, BatchId::parse(batchId), kTemporarySuffix)),
      final_(childPath(dir, BatchId::parse(batchId), kSuffix)) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const int fd = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) fail("create", tmp_, errno);
    file_ = ::fdopen(fd, "w");
    if (file_ == nullptr) {
        const int err = errno;
        ::close(fd);
        fail("open", tmp_, err);
    }
    static thread_local char buffer[1 << 16];
    std::setvbuf(file_, buffer, _IOFBF, sizeof buffer);
}

CarriedPseudonymsWriter::~CarriedPseudonymsWriter() {
    if (file_ != nullptr) {
        std::fclose(file_);
        std::error_code ec;
        std::filesystem::remove(tmp_, ec);
    }
}

void CarriedPseudonymsWriter::add(std::string_view pseudonym) {
    std::fwrite(pseudonym.data(), 1, pseudonym.size(), file_);
    std::fputc('\n', file_);
}

void CarriedPseudonymsWriter::commit() {
    std::FILE* file = file_;
    file_ = nullptr;
    const bool written = std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
    const int err = errno;
    std::fclose(file);
    if (!written) {
        std::error_code ec;
        std::filesystem::remove(tmp_, ec);
        fail("write", tmp_, err);
    }
    std::error_code ec;
    std::filesystem::rename(tmp_, final_, ec);
    if (ec) fail("rename into place", final_, ec.value());
}

std::vector<std::string> batchesCarrying(const std::filesystem::path& dir, std::string_view pseudonym) {
    return batchesCarryingAny(dir, {std::string(pseudonym)});
}

std::vector<std::string> batchesCarryingAny(const std::filesystem::path& dir,
                                            const std::vector<std::string>& pseudonyms) {
    std::vector<std::string> batches;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (!name.ends_with(kSuffix) || !BatchId::isValid(name.substr(0, name.size() - kSuffix.size()))) continue;
        std::ifstream in(entry.path());
        std::string line;
        while (std::getline(in, line)) {
            if (std::find(pseudonyms.begin(), pseudonyms.end(), line) != pseudonyms.end()) {
                batches.push_back(name.substr(0, name.size() - kSuffix.size()));
                break;
            }
        }
    }
    return batches;
}

void forgetCarriedPseudonyms(const std::filesystem::path& dir, const std::string& batchId) {
    const BatchId id = BatchId::parse(batchId);
    std::error_code ec;
    std::filesystem::remove(childPath(dir, id, kSuffix), ec);
    std::filesystem::remove(childPath(dir, id, kTemporarySuffix), ec);
}

}  // namespace passerelle::store
