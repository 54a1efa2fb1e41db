// Test vector of batch format v1 (docs/batch-format.md, "Test vector"): fixed keys,
// a deterministic random generator, fixed input -> exact manifest bytes, payload
// digest and signature. Its own executable because it replaces libsodium's random
// generator for the whole process.

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "privacy/batch_reader.h"
#include "privacy/batch_writer.h"
#include "privacy/party_keys.h"
#include "privacy/payload_format.h"
#include "privacy/sha256.h"

namespace passerelle::privacy {
namespace {

namespace fs = std::filesystem;

// ---- Deterministic random generator ------------------------------------------------
// The stream is randombytes_buf_deterministic(4096, seed = 32 bytes of 0x42), handed
// out in order from the last reset(). NOT random: for this test process only.
struct DeterministicRandom {
    static constexpr std::size_t kSize = 4096;
    std::array<std::uint8_t, kSize> stream{};
    std::size_t used = 0;

    DeterministicRandom() {
        std::array<std::uint8_t, randombytes_SEEDBYTES> seed;
        seed.fill(0x42);
        randombytes_buf_deterministic(stream.data(), stream.size(), seed.data());
    }
    void take(void* out, std::size_t size) {
        if (size > kSize - used) {
            std::abort();  // the vector needs far less; more means the code under test changed
        }
        std::memcpy(out, stream.data() + used, size);
        used += size;
    }
};

DeterministicRandom& rng() {
    static DeterministicRandom r;
    return r;
}

const char* rngName() { return "passerelle-test-vector"; }
std::uint32_t rngRandom() {
    std::uint32_t v;
    rng().take(&v, sizeof v);
    return v;
}
void rngStir() {}
void rngBuf(void* out, std::size_t size) { rng().take(out, size); }
int rngClose() { return 0; }

randombytes_implementation kDeterministic = {rngName, rngRandom, rngStir, nullptr, rngBuf, rngClose};

// Installed before main(), hence before the privacy library's first sodium_init().
const bool kInstalled = [] {
    randombytes_set_implementation(&kDeterministic);
    return true;
}();

// ---- Fixed keys ----------------------------------------------------------------------

std::array<std::uint8_t, 32> filled(std::uint8_t byte) {
    std::array<std::uint8_t, 32> a;
    a.fill(byte);
    return a;
}

void writeKeyFile(const fs::path& path, const std::uint8_t* data, std::size_t size) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
}

// A key folder whose keys come from seeds: crypto_sign_seed_keypair(signSeed),
// crypto_box_seed_keypair(boxSeed), pseudonym.key = pseudonymKey.
PartyKeys seededParty(const fs::path& dir, const std::string& party, std::uint8_t signSeed,
                      std::uint8_t boxSeed, std::uint8_t pseudonymKey) {
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
    PublicKeys pub{party, {}, {}};
    std::uint8_t signSk[crypto_sign_SECRETKEYBYTES];
    std::uint8_t boxSk[crypto_box_SECRETKEYBYTES];
    crypto_sign_seed_keypair(pub.sign.bytes.data(), signSk, filled(signSeed).data());
    crypto_box_seed_keypair(pub.box.bytes.data(), boxSk, filled(boxSeed).data());
    writeKeyFile(dir / KeyFolder::kSignFile, signSk, sizeof signSk);
    writeKeyFile(dir / KeyFolder::kBoxFile, boxSk, sizeof boxSk);
    writeKeyFile(dir / KeyFolder::kPseudonymFile, filled(pseudonymKey).data(), 32);
    sodium_memzero(signSk, sizeof signSk);
    sodium_memzero(boxSk, sizeof boxSk);
    writePublicKeysFile(dir / KeyFolder::kPublicFile, pub);
    return PartyKeys::load(dir);
}

std::vector<std::uint8_t> readAll(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class TempDir {
public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "passerelle-vector-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// ---- The vector ----------------------------------------------------------------------

const std::vector<std::string> kFields{"pseudonym", "course_title", "exit_date", "insertion_status"};
const std::vector<std::vector<std::string>> kRecords{
    {"1:0000000000000000000000000000000000000000000000000000000000000001", "BTS Comptabilit\xc3\xa9",
     "2026-06-30", "employed"},
    {"1:0000000000000000000000000000000000000000000000000000000000000002", "Licence pro \"Bois\"",
     "2026-07-03", ""},
    {"1:0000000000000000000000000000000000000000000000000000000000000003", "CAP Cuisine", "2026-07-10",
     "in-training"},
};

// The values published in docs/batch-format.md, "Test vector".
const char* const kSenderSignPublic = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
const char* const kSenderSignId = "c5e21ab1c9f6022d";
const char* const kRecipientBoxPublic = "7c147d7653a80bc7847911979c11487eac6f8ee7f74e6461f144b36b36afa76b";
const char* const kRecipientBoxId = "fcc0673c40de0650";
const char* const kBatchKey = "dd95a4aca58678542e063c5ed5b6120183519f70f1a7b411815a47de6b1ba9a6";
const char* const kEphemeralPublic = "c76585ca2f3aa439a129534b59cf3d787a683e288fc4d752a4688c758fb2552c";
const char* const kStreamHeader = "a229949638a74c60f72e368f38f0713492130a474233e2a3";
const char* const kExpectedManifest =
    R"({"format_version":1,"batch_id":"000102030405060708090a0b0c0d0e0f","sender":"univ-exemple",)"
    R"("recipient":"region-exemple","purpose":"insertion-outcome",)"
    R"("fields":["pseudonym","course_title","exit_date","insertion_status"],"record_count":3,)"
    R"("sender_key_id":"c5e21ab1c9f6022d","recipient_key_id":"fcc0673c40de0650",)"
    R"("payload_digest":"sha256:ce42a85e6e8028292c72f08219c7c4b8151c9f6c51a047d7f00f509a5b8823a2",)"
    R"("created_at":"2026-11-29T08:36:38Z"})";
const char* const kExpectedDigest = "ce42a85e6e8028292c72f08219c7c4b8151c9f6c51a047d7f00f509a5b8823a2";
const char* const kExpectedSignature =
    "08e686d5190e23247fdd0237eebc6e56dbd94c5187771ff4196f668a9ccc7b74"
    "ce22430417d26ece0330e48e1609bb897d1f83e422448b4f7304fa69e43d7e0d";
constexpr std::size_t kExpectedPayloadBytes = 474;

TEST(BatchVector, RandomGeneratorIsTheDeterministicOne) {
    ASSERT_TRUE(kInstalled);
    ASSERT_GE(sodium_init(), 0);
    EXPECT_STREQ(randombytes_implementation_name(), "passerelle-test-vector");
}

TEST(BatchVector, FixedInputGivesExactManifestDigestAndSignature) {
    TempDir tmp;
    const PartyKeys sender = seededParty(tmp.path() / "keys-sender", "univ-exemple", 0x01, 0x02, 0x03);
    const PartyKeys recipient = seededParty(tmp.path() / "keys-region", "region-exemple", 0x11, 0x12, 0x13);

    Manifest draft;
    draft.batchId = "000102030405060708090a0b0c0d0e0f";
    draft.sender = "univ-exemple";
    draft.recipient = "region-exemple";
    draft.purpose = "insertion-outcome";
    draft.fields = kFields;
    draft.createdAt = "2026-11-29T08:36:38Z";

    rng().used = 0;  // the batch gets the first bytes of the stream, whatever ran before
    const fs::path dir = tmp.path() / "batch";
    {
        BatchWriter writer(dir, draft, sender, recipient.publicKeys().box);
        for (const auto& record : kRecords) {
            std::vector<std::string_view> views(record.begin(), record.end());
            writer.addRecord(views);
        }
        writer.finish();
    }
    EXPECT_EQ(rng().used, 88u) << "batch key 32, ephemeral X25519 secret 32, secretstream header 24";

    const auto manifest = readAll(dir / "manifest.json");
    const auto signature = readAll(dir / "manifest.sig");
    const auto payloadBytes = readAll(dir / "payload.bin");
    Sha256 sha;
    sha.update(payloadBytes);
    const std::string digest = toHex(sha.finish());

    const auto& s = rng().stream;
    std::uint8_t ephemeralPk[32];
    crypto_scalarmult_base(ephemeralPk, s.data() + 32);
    EXPECT_EQ(toHex(sender.publicKeys().sign.bytes), kSenderSignPublic);
    EXPECT_EQ(sender.publicKeys().sign.id(), kSenderSignId);
    EXPECT_EQ(toHex(recipient.publicKeys().box.bytes), kRecipientBoxPublic);
    EXPECT_EQ(recipient.publicKeys().box.id(), kRecipientBoxId);
    EXPECT_EQ(toHex(std::span<const std::uint8_t>(s.data(), 32)), kBatchKey);
    EXPECT_EQ(toHex(ephemeralPk), kEphemeralPublic);
    EXPECT_EQ(toHex(std::span<const std::uint8_t>(s.data() + 64, 24)), kStreamHeader);
    EXPECT_EQ(payloadBytes.size(), kExpectedPayloadBytes);

    // The payload preamble is what the documented stream says.
    ASSERT_GE(payloadBytes.size(), payload::kPreambleBytes);
    EXPECT_EQ(std::memcmp(payloadBytes.data() + 8, ephemeralPk, 32), 0)
        << "sealed box starts with the ephemeral pk";
    EXPECT_EQ(std::memcmp(payloadBytes.data() + 88, s.data() + 64, 24), 0) << "secretstream header";
    std::uint8_t batchKey[32];
    ASSERT_TRUE(recipient.openSealed(std::span<const std::uint8_t>(payloadBytes.data() + 8, 80), batchKey));
    EXPECT_EQ(std::memcmp(batchKey, s.data(), 32), 0);

    EXPECT_EQ(std::string(manifest.begin(), manifest.end()), kExpectedManifest);
    EXPECT_EQ(digest, kExpectedDigest);
    EXPECT_EQ(toHex(signature), kExpectedSignature);

    // And it opens.
    BatchReader reader(dir, recipient, [&](const std::string&) { return sender.publicKeys().sign; });
    std::vector<std::string> values;
    for (const auto& record : kRecords) {
        ASSERT_TRUE(reader.next(values));
        EXPECT_EQ(values, record);
    }
    EXPECT_FALSE(reader.next(values));

    if (HasFailure()) {  // what to compare with docs/batch-format.md (test keys only)
        std::cout << "payload.bin " << toHex(payloadBytes) << "\n"
                  << "manifest.sig " << toHex(signature) << "\n";
    }
}

}  // namespace
}  // namespace passerelle::privacy
