#include "federation/directory.h"

#include <openssl/pem.h>
#include <sodium.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <functional>
#include <set>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/identifiers.h"
#include "common/json_text.h"
#include "common/strict_json.h"
#include "federation/openssl_handles.h"
#include "record/field_syntax.h"

namespace passerelle::federation {

namespace {

constexpr std::size_t kMaxNameBytes = 200;
constexpr std::size_t kMaxEndpointBytes = 2048;

[[noreturn]] void malformed(const std::string& where, const std::string& what) {
    throw DirectoryError("the directory is malformed: " + where + " " + what);
}

JsonRefuse refusalAt(const std::string& where) {
    return [where](const JsonRefusal& r) {
        using P = JsonRefusal::Problem;
        const std::string member = where.empty() ? "'" + r.member + "'" : where + r.member;
        switch (r.problem) {
            case P::NotJson: malformed("the document", "is not JSON (" + r.parserMessage + ")");
            case P::NotObject: malformed("the document", "is not a JSON object");
            case P::Missing: malformed(member, "is missing");
            case P::NotString: malformed(member, "is not a string");
            case P::NotInteger:
            case P::OutOfRange: malformed(member, "is not a positive integer");
            case P::NotArray: malformed(member, "is not an array of objects");
            case P::NotStringArray: malformed(member, "is not an array of strings");
            case P::Unknown:
                malformed(where.empty() ? "the document" : where.substr(0, where.size() - 1),
                          "has an unknown member" + (r.member.empty() ? std::string() : " '" + r.member + "'"));
        }
        malformed(member, "is not what it should be");
    };
}

std::string checkedTime(const std::string& where, const std::string& text) {
    if (!parseUtc(text)) malformed(where, "is not an RFC 3339 UTC time such as 2026-12-08T09:00:00Z");
    return text;
}

PartyRole parseRole(const std::string& where, const std::string& text) {
    if (text == "region") return PartyRole::Region;
    if (text == "institution") return PartyRole::Institution;
    malformed(where, "is neither region nor institution");
}

KeyUse parseUse(const std::string& where, const std::string& text) {
    if (text == "sign") return KeyUse::Sign;
    if (text == "box") return KeyUse::Box;
    malformed(where, "is neither sign nor box");
}

std::vector<std::string> purposeIds(const std::string& where, std::vector<std::string> ids) {
    for (const auto& id : ids) {
        if (!PurposeId::isValid(id)) malformed(where, std::string("holds a value that is not a purpose id: ") +
                                                          identifier_rules::Name::kRule);
    }
    if (std::set<std::string>(ids.begin(), ids.end()).size() != ids.size()) malformed(where, "names a purpose twice");
    return ids;
}

bool hasControlCharacter(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

std::function<JsonRefuse(std::size_t)> elementsOf(const std::string& where, const std::string& member) {
    return [where, member](std::size_t index) { return refusalAt(where + member + "[" + std::to_string(index) + "]."); };
}

DirectoryKey parseKey(StrictJsonObject& o, const std::string& where) {
    DirectoryKey key;
    key.use = parseUse(where + "use", o.text("use"));
    key.publicKeyHex = o.text("public_key");
    if (!isLowerHex(key.publicKeyHex, 64)) malformed(where + "public_key", "is not 64 lower-case hex characters");
    const std::string status = o.text("status");
    if (status != "current" && status != "retired") malformed(where + "status", "is neither current nor retired");
    key.current = status == "current";
    if (auto from = o.textOrNull("valid_from")) key.validFrom = checkedTime(where + "valid_from", *from);
    if (auto until = o.textOrNull("valid_until")) {
        if (key.current) malformed(where + "valid_until", "is set on the current key");
        key.validUntil = checkedTime(where + "valid_until", *until);
        if (key.validFrom && *parseUtc(*key.validUntil) < *parseUtc(*key.validFrom))
            malformed(where + "valid_until", "is before valid_from");
    }
    o.refuseOtherMembers();
    return key;
}

void checkKeyHistory(const DirectoryParty& party, const std::string& where) {
    for (KeyUse use : {KeyUse::Sign, KeyUse::Box}) {
        const auto current = std::count_if(party.keys.begin(), party.keys.end(), [use](const DirectoryKey& k) {
            return k.use == use && k.current;
        });
        if (current != 1) {
            malformed(where + "keys", "must hold exactly one current " + std::string(toText(use)) + " key, not " +
                                          std::to_string(current));
        }
    }
    std::set<std::string> seen;
    for (const auto& key : party.keys) {
        if (!seen.insert(key.publicKeyHex).second) malformed(where + "keys", "lists the same key twice");
    }
}

DirectoryParty parseParty(StrictJsonObject& o, std::size_t index) {
    const std::string where = "parties[" + std::to_string(index) + "].";
    DirectoryParty p;
    p.id = o.text("id");
    if (!PartyId::isValid(p.id)) malformed(where + "id", std::string("is not a party id: ") + identifier_rules::Name::kRule);
    p.role = parseRole(where + "role", o.text("role"));
    p.uai = o.text("uai");
    if (!(p.uai.empty() && p.role == PartyRole::Region) &&
        !(record::isUaiShape(p.uai) && record::uaiCheckLetterMatches(p.uai))) {
        malformed(where + "uai", "is not a UAI (7 digits and the matching check letter)");
    }
    p.name = o.text("name");
    if (p.name.empty() || p.name.size() > kMaxNameBytes || !isValidUtf8(p.name) || hasControlCharacter(p.name))
        malformed(where + "name", "must be 1 to 200 bytes of UTF-8 text without control characters");
    p.endpoint = o.text("endpoint");
    if (!p.endpoint.empty() && (!p.endpoint.starts_with("https://") || p.endpoint.size() > kMaxEndpointBytes ||
                                hasControlCharacter(p.endpoint) || p.endpoint.find(' ') != std::string::npos)) {
        malformed(where + "endpoint", "must be empty or an https:// URL");
    }
    p.certificateSha256 = o.text("certificate_sha256");
    if (!isLowerHex(p.certificateSha256, 64))
        malformed(where + "certificate_sha256", "is not 64 lower-case hex characters");
    p.sendPurposes = purposeIds(where + "send_purposes", o.texts("send_purposes"));
    p.extractPurposes = purposeIds(where + "extract_purposes", o.texts("extract_purposes"));
    auto keys = o.objects("keys", elementsOf(where, "keys"));
    for (std::size_t k = 0; k < keys.size(); ++k)
        p.keys.push_back(parseKey(keys[k], where + "keys[" + std::to_string(k) + "]."));
    o.refuseOtherMembers();
    checkKeyHistory(p, where);
    return p;
}

// Every certificate of the chain, in order; DirectoryError when one does not parse.
std::vector<Certificate> chainCertificates(const std::string& pem) {
    auto read = certificatesFromPem(pem);
    if (read.certificates.empty() || !read.complete)
        malformed("ca_chain", "must be one or more PEM certificates, each readable");
    return std::move(read.certificates);
}

void checkCrls(const std::vector<std::string>& crls, const std::vector<Certificate>& chain) {
    for (std::size_t i = 0; i < crls.size(); ++i) {
        const std::string where = "crls[" + std::to_string(i) + "]";
        const RevocationList crl = revocationListFromPem(crls[i]);
        if (!crl) malformed(where, "is not a PEM certificate revocation list");
        const bool signedByChain = crlSignedByOneOf(crl.get(), chain);
        if (!signedByChain) malformed(where, "is not signed by a CA of ca_chain");
    }
}

Poco::JSON::Array textArray(const std::vector<std::string>& texts) {
    Poco::JSON::Array array;
    for (const auto& t : texts) array.add(t);
    return array;
}

}  // namespace

std::string_view toText(KeyUse use) { return use == KeyUse::Sign ? "sign" : "box"; }
std::string_view toText(PartyRole role) { return role == PartyRole::Region ? "region" : "institution"; }

const DirectoryKey& DirectoryParty::currentKey(KeyUse use) const {
    for (const auto& key : keys) {
        if (key.use == use && key.current) return key;
    }
    throw std::logic_error("a parsed directory party without a current key");
}

const DirectoryParty* Directory::party(std::string_view id) const {
    for (const auto& p : parties) {
        if (p.id == id) return &p;
    }
    return nullptr;
}

std::string directoryJson(const Directory& d) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("format", std::string(Directory::kFormat));
    o.set("version", d.version);
    o.set("issued", d.issued);
    o.set("region", d.region);
    Poco::JSON::Array parties;
    for (const auto& p : d.parties) {
        Poco::JSON::Object party(Poco::JSON_PRESERVE_KEY_ORDER);
        party.set("id", p.id);
        party.set("role", std::string(toText(p.role)));
        party.set("uai", p.uai);
        party.set("name", p.name);
        party.set("endpoint", p.endpoint);
        party.set("certificate_sha256", p.certificateSha256);
        party.set("send_purposes", textArray(p.sendPurposes));
        party.set("extract_purposes", textArray(p.extractPurposes));
        Poco::JSON::Array keys;
        for (const auto& k : p.keys) {
            Poco::JSON::Object key(Poco::JSON_PRESERVE_KEY_ORDER);
            key.set("use", std::string(toText(k.use)));
            key.set("public_key", k.publicKeyHex);
            key.set("status", k.current ? "current" : "retired");
            key.set("valid_from", k.validFrom ? Poco::Dynamic::Var(*k.validFrom) : Poco::Dynamic::Var());
            key.set("valid_until", k.validUntil ? Poco::Dynamic::Var(*k.validUntil) : Poco::Dynamic::Var());
            keys.add(key);
        }
        party.set("keys", keys);
        parties.add(party);
    }
    o.set("parties", parties);
    o.set("ca_chain", d.caChainPem);
    o.set("crls", textArray(d.crls));
    return compactJson(o);
}

Directory parseDirectory(std::string_view json) {
    StrictJsonObject o(json, refusalAt(""));
    if (o.text("format") != Directory::kFormat)
        malformed("'format'", std::string("is not ") + Directory::kFormat);
    Directory d;
    d.version = o.count("version");
    if (d.version == 0) malformed("'version'", "must be 1 or more");
    d.issued = checkedTime("'issued'", o.text("issued"));
    d.region = o.text("region");
    if (!PartyId::isValid(d.region)) malformed("'region'", "is not a party id");
    auto parties = o.objects("parties", elementsOf("", "parties"));
    std::set<std::string> ids, uais;
    for (std::size_t i = 0; i < parties.size(); ++i) {
        DirectoryParty p = parseParty(parties[i], i);
        if (!ids.insert(p.id).second) malformed("parties[" + std::to_string(i) + "].id", "names a party listed before");
        if (!p.uai.empty() && !uais.insert(p.uai).second)
            malformed("parties[" + std::to_string(i) + "].uai", "is the UAI of a party listed before");
        d.parties.push_back(std::move(p));
    }
    const DirectoryParty* region = d.party(d.region);
    if (region == nullptr || region->role != PartyRole::Region)
        malformed("'region'", "is not a party of the directory with the role region");
    if (std::count_if(d.parties.begin(), d.parties.end(), [](const DirectoryParty& p) { return p.role == PartyRole::Region; }) != 1)
        malformed("'parties'", "must hold exactly one party with the role region");
    d.caChainPem = o.text("ca_chain");
    d.crls = o.texts("crls");
    o.refuseOtherMembers();
    checkCrls(d.crls, chainCertificates(d.caChainPem));
    if (directoryJson(d) != json) malformed("the document", "is not in its canonical form");
    return d;
}

std::string directoryDigest(const exchange::SignedJson& signedDirectory) {
    std::array<std::uint8_t, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(signedDirectory.json.data()),
                       signedDirectory.json.size());
    return toHex(digest);
}

exchange::SignedJson signDirectory(const Directory& directory, const privacy::PartyKeys& regionKeys) {
    return exchange::SignedJson::sign(directoryJson(directory), regionKeys);
}

exchange::SignedJson signedDirectoryFromBody(const std::string& body) {
    try {
        return exchange::SignedJson::fromBody(body, "directory", "the directory",
                                              exchange::SignedJson::OtherKeys::Refused);
    } catch (const exchange::SignedJsonError& e) {
        throw DirectoryError(e.what());
    }
}

Directory acceptDirectory(const exchange::SignedJson& signedDirectory,
                          std::span<const privacy::SignPublicKey> trusted, const std::optional<HeldDirectory>& held) {
    const auto signer = std::find_if(trusted.begin(), trusted.end(), [&](const privacy::SignPublicKey& key) {
        return signedDirectory.verifies(key);
    });
    if (signer == trusted.end()) {
        throw DirectoryError("the directory is refused: its signature is not the Region's (pinned key" +
                             std::string(trusted.size() == 1 ? " " + trusted.front().id() : "s") +
                             "); it may be forged or damaged, and nothing of it is used");
    }
    Directory directory = parseDirectory(signedDirectory.json);
    // The Region's own entry must name the key that signed it: else the directory would
    // publish, under the Region's signature, keys the Region does not sign with.
    if (directory.party(directory.region)->currentKey(KeyUse::Sign).publicKeyHex != toHex(signer->bytes)) {
        throw DirectoryError("the directory is refused: the Region's current signing key it lists is not key " +
                             signer->id() + " that signed it");
    }
    if (held) {
        if (directory.version < held->version) {
            throw DirectoryError("the directory is refused: its version " + std::to_string(directory.version) +
                                 " is older than version " + std::to_string(held->version) +
                                 " already adopted (a replayed or stale copy)");
        }
        if (directory.version == held->version && directoryDigest(signedDirectory) != held->sha256) {
            throw DirectoryError("the directory is refused: its version " + std::to_string(directory.version) +
                                 " is the one already adopted, with other content");
        }
    }
    return directory;
}

}  // namespace passerelle::federation
