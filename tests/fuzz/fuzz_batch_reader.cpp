// libFuzzer target for privacy::BatchReader (docs/fuzzing.md). The first byte picks a mode:
//  even: framing. The rest is payload.bin as is; the harness signs a manifest (2 fields,
//        3 records) whose digest matches it, so every payload-level check is reached:
//        magic, preamble, sealed key, chunk lengths, authentication, FINAL, extension.
//  odd:  records. byte 1 -> 1..8 fields, byte 2 -> record count, then chunk plaintexts as
//        <length byte><bytes>...; the harness seals them properly (MESSAGE..., FINAL), so
//        record parsing, field counts and count mismatches are reached behind valid crypto,
//        and what the reader returns is compared with a reference reading of the format.
// A BatchFormatError is the expected way to refuse; anything else is a finding.
//   fuzz_batch_reader --make-seeds DIR   writes the seed corpus (tests/fuzz/corpus/...).

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "batch_fixture.h"
#include "privacy/batch_errors.h"
#include "privacy/batch_writer.h"
#include "privacy/payload_format.h"

namespace fs = std::filesystem;
using namespace passerelle;
using namespace passerelle::privacy;
using passerelle::fuzz::FixedParties;

namespace {

constexpr std::size_t kFramingFields = 2;
constexpr std::uint64_t kFramingRecords = 3;

const fs::path& batchDir() {
    static const fs::path dir = [] {
        fs::path d = FixedParties::instance().scratch() / "batch";
        fs::create_directories(d);
        return d;
    }();
    return dir;
}

void openBatch(std::span<const std::uint8_t> payload, std::size_t fieldCount, std::uint64_t recordCount) {
    const FixedParties& parties = FixedParties::instance();
    parties.writeSignedBatch(batchDir(), payload, parties.manifestFor(payload, fieldCount, recordCount));
    try {
        fuzz::readWholeBatch(batchDir());
    } catch (const BatchFormatError& e) {
        // Refused with a reason: what the reader is for.
        fuzz::explain(e);
    }
}

// What reading a batch gave: the records, then how it ended.
struct Reading {
    std::vector<std::vector<std::string>> records;
    std::optional<BatchProblem> refusal;  // none: read to the end
    bool operator==(const Reading&) const = default;
};

Reading readRecords(const fs::path& dir) {
    const FixedParties& parties = FixedParties::instance();
    Reading out;
    try {
        BatchReader reader(dir, parties.recipient(), parties.senderLookup());
        std::vector<std::string> values;
        while (reader.next(values)) {
            out.records.push_back(values);
        }
    } catch (const BatchFormatError& e) {
        fuzz::explain(e);
        out.refusal = e.problem();
    }
    return out;
}

// docs/batch-format.md §3 and §7, written independently of batch_reader.cpp: a chunk
// holds whole records (one u32 LE length + bytes per field) and is checked as a whole
// before any of its records is released; then the record count is checked.
Reading expectedReading(const std::vector<std::string>& chunks, std::size_t fieldCount,
                        std::uint64_t recordCount) {
    Reading out;
    for (const std::string& chunk : chunks) {
        std::vector<std::string> values;
        for (std::size_t pos = 0; pos < chunk.size();) {
            if (chunk.size() - pos < 4) {
                out.refusal = BatchProblem::Malformed;
                return out;
            }
            const std::uint32_t len =
                payload::getLe32(reinterpret_cast<const std::uint8_t*>(chunk.data() + pos));
            pos += 4;
            if (chunk.size() - pos < len) {
                out.refusal = BatchProblem::Malformed;
                return out;
            }
            values.push_back(chunk.substr(pos, len));
            pos += len;
        }
        if (values.size() % fieldCount != 0) {
            out.refusal = BatchProblem::Malformed;
            return out;
        }
        for (std::size_t i = 0; i < values.size(); i += fieldCount) {
            if (out.records.size() == recordCount) {
                out.refusal = BatchProblem::CountMismatch;
                return out;
            }
            out.records.emplace_back(values.begin() + static_cast<std::ptrdiff_t>(i),
                                     values.begin() + static_cast<std::ptrdiff_t>(i + fieldCount));
        }
    }
    if (out.records.size() != recordCount) {
        out.refusal = BatchProblem::CountMismatch;
    }
    return out;
}

std::vector<std::string> splitChunks(const std::uint8_t* p, std::size_t n) {
    std::vector<std::string> chunks;
    while (n > 0) {
        const std::size_t len = std::min<std::size_t>(*p, n - 1);
        chunks.emplace_back(reinterpret_cast<const char*>(p + 1), len);
        p += 1 + len;
        n -= 1 + len;
    }
    return chunks;
}

std::vector<std::uint8_t> withMode(std::uint8_t mode, std::span<const std::uint8_t> rest) {
    std::vector<std::uint8_t> out{mode};
    out.insert(out.end(), rest.begin(), rest.end());
    return out;
}

std::vector<std::uint8_t> recordsInput(std::uint8_t fieldCount, std::uint8_t recordCount,
                                       const std::vector<std::string>& chunks) {
    std::vector<std::uint8_t> out{1, static_cast<std::uint8_t>(fieldCount - 1), recordCount};
    for (const std::string& c : chunks) {
        out.push_back(static_cast<std::uint8_t>(c.size()));
        out.insert(out.end(), c.begin(), c.end());
    }
    return out;
}

void makeSeeds(const fs::path& dir) {
    const FixedParties& parties = FixedParties::instance();
    const auto& box = parties.recipient().publicKeys().box;
    fs::create_directories(dir);
    const std::string r1 = fuzz::encodeRecord({"Jeanne Exemple", "2026-06-30"});
    const std::string r2 = fuzz::encodeRecord({"", "2026-07-01"});
    const std::string r3 = fuzz::encodeRecord({"\xC3\x89lodie Test-Fictif", "2026-09-15"});

    const auto valid = fuzz::sealChunks(box, {r1 + r2, r3});
    fuzz::writeFile(dir / "framing-valid", std::span<const std::uint8_t>(withMode(0, valid)));
    fuzz::writeFile(dir / "framing-truncated",
                    std::span<const std::uint8_t>(withMode(0, std::span(valid).first(valid.size() - 5))));
    auto extended = withMode(0, valid);
    extended.push_back('x');
    fuzz::writeFile(dir / "framing-extended", std::span<const std::uint8_t>(extended));
    fuzz::writeFile(dir / "framing-three-chunks",
                    std::span<const std::uint8_t>(withMode(0, fuzz::sealChunks(box, {r1, r2, r3, ""}))));

    // The real writer's output, so the seeds follow it if its chunking changes.
    const fs::path written = parties.scratch() / "seed-batch";
    Manifest draft;
    draft.batchId = "ffeeddccbbaa99887766554433221100";
    draft.sender = FixedParties::kSender;
    draft.recipient = FixedParties::kRecipient;
    draft.purpose = "fuzz-purpose";
    draft.fields = {"field0", "field1"};
    draft.createdAt = "2026-11-29T08:36:38Z";
    {
        BatchWriter writer(written, draft, parties.sender(), box);
        for (const auto& rec : {std::vector<std::string_view>{"Jeanne Exemple", "2026-06-30"},
                                std::vector<std::string_view>{"", "2026-07-01"},
                                std::vector<std::string_view>{"Test", "2026-09-15"}}) {
            writer.addRecord(rec);
        }
        writer.finish();
    }
    fuzz::writeFile(dir / "framing-batch-writer",
                    std::span<const std::uint8_t>(withMode(0, fuzz::readFile(written / "payload.bin"))));
    fs::remove_all(written);

    fuzz::writeFile(dir / "records-valid", std::span<const std::uint8_t>(recordsInput(2, 3, {r1 + r2, r3})));
    fuzz::writeFile(dir / "records-count-mismatch",
                    std::span<const std::uint8_t>(recordsInput(2, 2, {r1, r2 + r3})));
    fuzz::writeFile(dir / "records-one-field", std::span<const std::uint8_t>(recordsInput(
                                                   1, 4,
                                                   {fuzz::encodeRecord({"a"}) + fuzz::encodeRecord({"bc"}),
                                                    fuzz::encodeRecord({""}) + fuzz::encodeRecord({"d"})})));
    fuzz::writeFile(dir / "records-field-past-chunk",
                    std::span<const std::uint8_t>(recordsInput(2, 1, {r1.substr(0, r1.size() - 3), ""})));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    return passerelle::fuzz::initialiseBatchTarget(argc, argv, makeSeeds);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    if ((data[0] & 1) == 0) {
        openBatch(std::span<const std::uint8_t>(data + 1, size - 1), kFramingFields, kFramingRecords);
        return 0;
    }
    if (size < 3) {
        return 0;
    }
    const std::size_t fieldCount = 1 + data[1] % 8;
    const std::uint64_t recordCount = data[2];
    const auto chunks = splitChunks(data + 3, size - 3);
    const FixedParties& parties = FixedParties::instance();
    const auto payload = fuzz::sealChunks(parties.recipient().publicKeys().box, chunks);
    parties.writeSignedBatch(batchDir(), payload, parties.manifestFor(payload, fieldCount, recordCount));
    if (readRecords(batchDir()) != expectedReading(chunks, fieldCount, recordCount)) {
        std::fprintf(stderr, "fuzz_batch_reader: the reader disagrees with docs/batch-format.md\n");
        std::abort();
    }
    return 0;
}
