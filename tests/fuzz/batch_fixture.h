#pragma once
// What the batch fuzz targets share: two parties whose keys come from fixed seeds
// (so seed inputs made by one run still open in the next), a scratch folder, and
// helpers that seal chunk plaintexts and sign a manifest over any payload bytes.

#include <cstdint>
#include <exception>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "privacy/batch_reader.h"
#include "privacy/manifest.h"
#include "privacy/party_keys.h"

namespace passerelle::fuzz {

// LLVMFuzzerInitialize of the batch targets: `TARGET --make-seeds DIR` writes the
// seed corpus with `makeSeeds` and exits; otherwise the fixed parties are built
// before the first input, so their key generation is not timed as fuzzing.
int initialiseBatchTarget(int* argc, char*** argv, void (*makeSeeds)(const std::filesystem::path&));

class FixedParties {
public:
    static constexpr const char* kSender = "fuzz-sender";
    static constexpr const char* kRecipient = "fuzz-recipient";

    // Built once per process: keys are written to the scratch folder and loaded back.
    static const FixedParties& instance();

    const privacy::PartyKeys& sender() const { return sender_; }
    const privacy::PartyKeys& recipient() const { return recipient_; }
    // Knows kSender only; any other name is refused as an unknown sender would be.
    privacy::SenderKeyLookup senderLookup() const;
    // A folder of ours ($TMPDIR, else /dev/shm, else /tmp), removed at exit.
    const std::filesystem::path& scratch() const { return scratch_; }

    // The manifest a well-behaved sender would sign for `payload`.
    privacy::Manifest manifestFor(std::span<const std::uint8_t> payload, std::size_t fieldCount,
                                  std::uint64_t recordCount) const;
    // Writes dir/payload.bin, dir/manifest.json and dir/manifest.sig (dir must exist).
    void writeSignedBatch(const std::filesystem::path& dir, std::span<const std::uint8_t> payload,
                          const privacy::Manifest& manifest) const;

    ~FixedParties();
    FixedParties(const FixedParties&) = delete;
    FixedParties& operator=(const FixedParties&) = delete;

private:
    FixedParties(std::filesystem::path scratch, privacy::PartyKeys sender, privacy::PartyKeys recipient);

    std::filesystem::path scratch_;
    privacy::PartyKeys sender_;
    privacy::PartyKeys recipient_;
};

// payload.bin v1 bytes: a fixed batch key sealed to `recipient`, then one secretstream
// chunk per plaintext, the last one tagged FINAL (an empty list gives one empty FINAL chunk).
std::vector<std::uint8_t> sealChunks(const privacy::BoxPublicKey& recipient,
                                     const std::vector<std::string>& plaintexts);

// A record as the writer encodes it: u32 LE length then the bytes, per value.
std::string encodeRecord(const std::vector<std::string>& values);

void writeFile(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);
void writeFile(const std::filesystem::path& path, std::string_view bytes);
std::vector<std::uint8_t> readFile(const std::filesystem::path& path);

// With PASSERELLE_FUZZ_VERBOSE set, prints why an input was refused (to check seeds).
void explain(const std::exception& refusal);

// Reads a batch to the end; BatchFormatError is the expected way to fail.
void readWholeBatch(const std::filesystem::path& dir);

}  // namespace passerelle::fuzz
