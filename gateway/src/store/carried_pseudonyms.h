#pragma once
// Which batches carried which pseudonyms, so a DPO can answer an access
// request (GDPR art. 15) without any table of identities. One file per batch,
// `<dir>/<batch id>.pseudonyms`, one pseudonym per line, written sequentially
// while the batch is sealed: a few bytes of buffered I/O per record, where a
// database row per record would cost more than sealing the record itself.

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace passerelle::store {

class CarriedPseudonymsWriter {
public:
    // Starts `<dir>/<batchId>.pseudonyms.tmp` (mode 0600); throws StoreError naming it,
    // IdentifierError when batchId is not a batch id (it becomes a file name).
    CarriedPseudonymsWriter(std::filesystem::path dir, std::string batchId);
    ~CarriedPseudonymsWriter();  // removes the temporary file unless committed
    CarriedPseudonymsWriter(const CarriedPseudonymsWriter&) = delete;
    CarriedPseudonymsWriter& operator=(const CarriedPseudonymsWriter&) = delete;

    void add(std::string_view pseudonym);
    // Flushes, fsyncs and renames the file into place; throws StoreError (disk full…).
    void commit();

private:
    std::filesystem::path tmp_;
    std::filesystem::path final_;
    std::FILE* file_ = nullptr;
};

// Batch ids whose index lists this pseudonym (any order). Files whose name is not
// `<batch id>.pseudonyms` are not an index: they are skipped.
std::vector<std::string> batchesCarrying(const std::filesystem::path& dir, std::string_view pseudonym);
// Batch ids whose index lists any of these pseudonyms (any order), in one pass over the files.
std::vector<std::string> batchesCarryingAny(const std::filesystem::path& dir,
                                            const std::vector<std::string>& pseudonyms);

// Drops a batch's index and any unfinished one (when its batch is purged or discarded);
// IdentifierError when batchId is not a batch id.
void forgetCarriedPseudonyms(const std::filesystem::path& dir, const std::string& batchId);

}  // namespace passerelle::store
