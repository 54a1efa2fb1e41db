#pragma once
// The federation's directory (docs/federation.md): what the Region publishes so that
// every gateway knows the others without a hand-copied file. A versioned document,
// signed by the Region, listing each party with its whole key history, and the CA
// chain and CRLs every TLS handshake is checked against.
//
// The document comes from the network: every field is checked where it is parsed
// (party and purpose ids that later name folders and sections, UAIs with their check
// letter, key and fingerprint hex, times, PEM), and the bytes must be the canonical
// form of what they say, so one directory has one signature's worth of meaning.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/errors.h"
#include "exchange/signed_json.h"
#include "privacy/public_keys.h"

namespace passerelle::federation {

// A directory that does not parse, is not signed by a trusted key, or is older than
// the one held. The message names the field and never quotes a value from it.
class DirectoryError : public Error {
public:
    using Error::Error;
};

enum class KeyUse { Sign, Box };
enum class PartyRole { Region, Institution };

std::string_view toText(KeyUse use);
std::string_view toText(PartyRole role);

// One key of a party's history and when it was valid: from `validFrom` until
// `validUntil` (RFC 3339 UTC), each null when unknown (keys made before key history
// was recorded: that side is open). The current key has no validUntil.
struct DirectoryKey {
    KeyUse use = KeyUse::Sign;
    std::string publicKeyHex;  // 32 bytes, 64 lower-case hex characters
    bool current = false;
    std::optional<std::string> validFrom;
    std::optional<std::string> validUntil;
    bool operator==(const DirectoryKey&) const = default;
};

struct DirectoryParty {
    std::string id;  // a party id: its certificate's CN, its [peer.<id>]
    PartyRole role = PartyRole::Institution;
    std::string uai;   // institutions: 7 digits and the check letter; the Region: may be empty
    std::string name;  // the signatory's name
    std::string endpoint;           // https URL of its exchange listener; empty when it does not listen
    std::string certificateSha256;  // its current TLS certificate, lower-case hex
    std::vector<std::string> sendPurposes;     // purposes it may send the Region
    std::vector<std::string> extractPurposes;  // purposes the Region may ask it for
    std::vector<DirectoryKey> keys;            // every signing and sealing key it has had
    bool operator==(const DirectoryParty&) const = default;

    // The key of `use` valid now.
    const DirectoryKey& currentKey(KeyUse use) const;
};

struct Directory {
    static constexpr const char* kFormat = "passerelle-directory/1";

    std::uint64_t version = 0;  // grows with each publication; never reused
    std::string issued;         // RFC 3339 UTC
    std::string region;         // the publishing party's id
    std::vector<DirectoryParty> parties;
    std::string caChainPem;         // the federation's CA certificates (root, then issuing)
    std::vector<std::string> crls;  // PEM CRLs of those CAs
    bool operator==(const Directory&) const = default;

    // nullptr when no party has this id.
    const DirectoryParty* party(std::string_view id) const;
};

// The canonical JSON of the directory: members in a fixed order, no whitespace.
std::string directoryJson(const Directory& directory);
// Reads and checks a directory's JSON; DirectoryError naming the field otherwise.
Directory parseDirectory(std::string_view json);

// What a gateway keeps of the directory it adopted, to refuse an older one.
struct HeldDirectory {
    std::uint64_t version = 0;
    std::string sha256;  // of the signed JSON's bytes, lower-case hex
};

// SHA-256 of the directory's signed bytes, lower-case hex.
std::string directoryDigest(const exchange::SignedJson& signedDirectory);

// The body served at GET /v1/directory: {"directory": <base64 JSON>, "signature": <base64>}.
exchange::SignedJson signDirectory(const Directory& directory, const privacy::PartyKeys& regionKeys);
exchange::SignedJson signedDirectoryFromBody(const std::string& body);

// The checks a gateway runs before adopting a directory, in order: the signature is
// one of `trusted` keys' (the Region's pinned key), the document parses, and its
// version is not older than `held` (the same version must be the same bytes).
// Returns the directory; DirectoryError saying which check failed otherwise.
Directory acceptDirectory(const exchange::SignedJson& signedDirectory,
                          std::span<const privacy::SignPublicKey> trusted, const std::optional<HeldDirectory>& held);

}  // namespace passerelle::federation
