#include "batch_fixture.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "common/encoding.h"
#include "privacy/batch_errors.h"
#include "privacy/payload_format.h"
#include "privacy/sha256.h"
#include "privacy/sodium_init.h"

namespace passerelle::fuzz {

namespace fs = std::filesystem;
using namespace passerelle::privacy;

namespace {

// Fixed seeds: these are throw-away test keys, never used outside the fuzz targets.
std::array<std::uint8_t, 32> fixedSeed(std::uint8_t tag) {
    std::array<std::uint8_t, 32> seed{};
    for (std::size_t i = 0; i < seed.size(); ++i) {
        seed[i] = static_cast<std::uint8_t>(tag * 31 + i);
    }
    return seed;
}

[[noreturn]] void failErrno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

fs::path makeScratch() {
    std::vector<fs::path> bases;
    if (const char* tmp = std::getenv("TMPDIR"); tmp != nullptr && *tmp != '\0') {
        bases.emplace_back(tmp);
    }
    bases.emplace_back("/dev/shm");  // fsync is free there: receiveEnvelope syncs every batch
    bases.emplace_back("/tmp");
    for (const fs::path& base : bases) {
        std::string templ = (base / "passerelle-fuzz-XXXXXX").string();
        if (::mkdtemp(templ.data()) != nullptr) {
            return templ;
        }
    }
    failErrno("cannot create a scratch folder");
}

PartyKeys makeParty(const fs::path& dir, const char* party, std::uint8_t tag) {
    ensureSodium();
    if (::mkdir(dir.c_str(), 0700) != 0) {
        failErrno("mkdir " + dir.string());
    }
    PublicKeys pub{party, {}, {}};
    std::uint8_t signSecret[crypto_sign_SECRETKEYBYTES];
    std::uint8_t boxSecret[crypto_box_SECRETKEYBYTES];
    crypto_sign_seed_keypair(pub.sign.bytes.data(), signSecret, fixedSeed(tag).data());
    crypto_box_seed_keypair(pub.box.bytes.data(), boxSecret, fixedSeed(tag + 1).data());
    const auto pseudonym = fixedSeed(tag + 2);
    writeFile(dir / KeyFolder::kSignFile, std::span<const std::uint8_t>(signSecret));
    writeFile(dir / KeyFolder::kBoxFile, std::span<const std::uint8_t>(boxSecret));
    writeFile(dir / KeyFolder::kPseudonymFile, std::span<const std::uint8_t>(pseudonym));
    writePublicKeysFile(dir / KeyFolder::kPublicFile, pub);
    return PartyKeys::load(dir);
}

}  // namespace

FixedParties::FixedParties(fs::path scratch, PartyKeys sender, PartyKeys recipient)
    : scratch_(std::move(scratch)), sender_(std::move(sender)), recipient_(std::move(recipient)) {}

FixedParties::~FixedParties() {
    std::error_code ec;
    fs::remove_all(scratch_, ec);
}

const FixedParties& FixedParties::instance() {
    static const FixedParties parties = [] {
        fs::path scratch = makeScratch();
        PartyKeys sender = makeParty(scratch / "sender-keys", kSender, 1);
        PartyKeys recipient = makeParty(scratch / "recipient-keys", kRecipient, 11);
        return FixedParties(std::move(scratch), std::move(sender), std::move(recipient));
    }();
    return parties;
}

SenderKeyLookup FixedParties::senderLookup() const {
    return [this](const std::string& name) -> SignPublicKey {
        if (name != kSender) {
            throw BatchFormatError(BatchProblem::BadSignature, "unknown sender");
        }
        return sender_.publicKeys().sign;
    };
}

Manifest FixedParties::manifestFor(std::span<const std::uint8_t> payload, std::size_t fieldCount,
                                   std::uint64_t recordCount) const {
    Manifest m;
    m.batchId = "00112233445566778899aabbccddeeff";
    m.sender = kSender;
    m.recipient = kRecipient;
    m.purpose = "fuzz-purpose";
    for (std::size_t i = 0; i < fieldCount; ++i) {
        m.fields.push_back("field" + std::to_string(i));
    }
    m.recordCount = recordCount;
    m.senderKeyId = sender_.publicKeys().sign.id();
    m.recipientKeyId = recipient_.publicKeys().box.id();
    Sha256 digest;
    digest.update(payload);
    m.payloadDigest = "sha256:" + toHex(digest.finish());
    m.createdAt = "2026-11-29T08:36:38Z";
    return m;
}

void FixedParties::writeSignedBatch(const fs::path& dir, std::span<const std::uint8_t> payload,
                                    const Manifest& manifest) const {
    const std::string json = manifest.canonicalJson();
    const auto sig = sender_.sign(asBytes(json));
    writeFile(dir / "payload.bin", payload);
    writeFile(dir / "manifest.sig", std::span<const std::uint8_t>(sig));
    writeFile(dir / "manifest.json", json);
}

std::vector<std::uint8_t> sealChunks(const BoxPublicKey& recipient,
                                     const std::vector<std::string>& plaintexts) {
    ensureSodium();
    std::vector<std::uint8_t> out(payload::kPreambleBytes);
    std::memcpy(out.data(), payload::kMagic, payload::kMagicBytes);
    std::uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
    for (std::size_t i = 0; i < sizeof key; ++i) {
        key[i] = static_cast<std::uint8_t>(0xA0 + i);
    }
    crypto_box_seal(out.data() + payload::kMagicBytes, key, sizeof key, recipient.bytes.data());
    crypto_secretstream_xchacha20poly1305_state state;
    crypto_secretstream_xchacha20poly1305_init_push(
        &state, out.data() + payload::kMagicBytes + payload::kSealedKeyBytes, key);
    const std::vector<std::string> oneEmpty{std::string()};
    const auto& chunks = plaintexts.empty() ? oneEmpty : plaintexts;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        const std::string& plain = chunks[i];
        const std::size_t at = out.size();
        const std::size_t n = plain.size() + payload::kChunkOverhead;
        out.resize(at + 4 + n);
        payload::putLe32(out.data() + at, static_cast<std::uint32_t>(n));
        const unsigned char tag = i + 1 == chunks.size() ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                                                         : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
        crypto_secretstream_xchacha20poly1305_push(&state, out.data() + at + 4, nullptr,
                                                   reinterpret_cast<const unsigned char*>(plain.data()),
                                                   plain.size(), nullptr, 0, tag);
    }
    return out;
}

std::string encodeRecord(const std::vector<std::string>& values) {
    std::string out;
    for (const std::string& v : values) {
        std::uint8_t len[4];
        payload::putLe32(len, static_cast<std::uint32_t>(v.size()));
        out.append(reinterpret_cast<const char*>(len), sizeof len);
        out += v;
    }
    return out;
}

void writeFile(const fs::path& path, std::span<const std::uint8_t> bytes) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        failErrno("open " + path.string());
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            ::close(fd);
            failErrno("write " + path.string());
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
}

void writeFile(const fs::path& path, std::string_view bytes) { writeFile(path, asBytes(bytes)); }

std::vector<std::uint8_t> readFile(const fs::path& path) {
    std::vector<std::uint8_t> out;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        failErrno("open " + path.string());
    }
    std::uint8_t buf[65536];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            ::close(fd);
            failErrno("read " + path.string());
        }
        out.insert(out.end(), buf, buf + n);
    }
    ::close(fd);
    return out;
}

void explain(const std::exception& refusal) {
    static const bool verbose = std::getenv("PASSERELLE_FUZZ_VERBOSE") != nullptr;
    if (verbose) {
        std::fprintf(stderr, "refused: %s\n", refusal.what());
    }
}

void readWholeBatch(const fs::path& dir) {
    const FixedParties& parties = FixedParties::instance();
    BatchReader reader(dir, parties.recipient(), parties.senderLookup());
    std::vector<std::string> values;
    std::uint64_t records = 0;
    while (reader.next(values)) {
        if (values.size() != reader.manifest().fields.size()) {
            std::abort();  // the reader promised one value per field
        }
        ++records;
    }
    if (records != reader.manifest().recordCount) {
        std::abort();  // the count check passed, so they must agree
    }
}

int initialiseBatchTarget(int* argc, char*** argv, void (*makeSeeds)(const fs::path&)) {
    if (*argc == 3 && std::strcmp((*argv)[1], "--make-seeds") == 0) {
        makeSeeds((*argv)[2]);
        std::exit(0);
    }
    FixedParties::instance();
    return 0;
}

}  // namespace passerelle::fuzz
