#include "federation/directory_builder.h"

#include <algorithm>

#include "common/clock.h"
#include "common/encoding.h"
#include "federation/ca_folder.h"
#include "federation/issued_index.h"
#include "federation/openssl_handles.h"

namespace passerelle::federation {

namespace {

std::optional<std::string> timeText(const std::optional<privacy::KeyTime>& t) {
    if (!t) return std::nullopt;
    return formatUtc(*t);
}

std::optional<privacy::KeyTime> keyTime(const std::optional<std::string>& text) {
    if (!text) return std::nullopt;
    return parseUtc(*text);  // parsed once already: a directory's times are all valid
}

DirectoryKey retired(KeyUse use, const privacy::KeyPeriod& period) {
    return {use, toHex(period.key), false, timeText(period.validFrom), timeText(period.validUntil)};
}

template <typename Key>
void fillKey(Key& key, const std::string& hex) {
    const auto bytes = fromHex(hex, key.bytes.size());
    std::copy(bytes.begin(), bytes.end(), key.bytes.begin());
}

privacy::KeyPeriod periodOf(const DirectoryKey& key) {
    privacy::KeyPeriod period;
    const auto bytes = fromHex(key.publicKeyHex, period.key.size());
    std::copy(bytes.begin(), bytes.end(), period.key.begin());
    period.validFrom = keyTime(key.validFrom);
    period.validUntil = keyTime(key.validUntil);
    return period;
}

// The certificate a peer is known by: its pin, or the newest unrevoked one the CA issued it.
std::string certificateOf(const config::GatewayConfig& region, const std::string& party) {
    const auto& peer = region.peer(party);
    if (!peer.certificateSha256.empty()) return peer.certificateSha256;
    if (region.ca) {
        const auto issued = IssuedIndex(CaFolder{region.ca->folder}.index()).read();
        for (auto it = issued.rbegin(); it != issued.rend(); ++it) {
            if (it->party == party && !it->revocation) return it->sha256;
        }
    }
    throw DirectoryError("cannot list " + party + " in the directory: no certificate is known for it (enrol it with "
                         "passerelle peers add, or set [peer." + party + "] certificate_sha256)");
}

std::string ownCertificate(const config::GatewayConfig& region) {
    const Certificate certificate = certificateFromPem(readWholeFile(region.tls.certificate));
    if (!certificate) {
        throw DirectoryError(region.tls.certificate.string() + " (tls.certificate) holds no PEM certificate");
    }
    return sha256Fingerprint(certificate.get());
}

const DirectoryMember& memberOf(const std::map<std::string, DirectoryMember>& members, const std::string& party) {
    const auto it = members.find(party);
    if (it == members.end()) {
        throw DirectoryError("cannot list " + party +
                             " in the directory: it is not in the members list (its UAI and name)");
    }
    return it->second;
}

}  // namespace

std::vector<DirectoryKey> directoryKeys(const privacy::PublicKeys& keys) {
    std::vector<DirectoryKey> out;
    for (const auto& k : keys.retiredSign) out.push_back(retired(KeyUse::Sign, k));
    for (const auto& k : keys.retiredBox) out.push_back(retired(KeyUse::Box, k));
    const auto from = timeText(keys.validFrom);
    out.push_back({KeyUse::Sign, toHex(keys.sign.bytes), true, from, std::nullopt});
    out.push_back({KeyUse::Box, toHex(keys.box.bytes), true, from, std::nullopt});
    return out;
}

privacy::PublicKeys publicKeysOf(const DirectoryParty& party) {
    privacy::PublicKeys keys;
    keys.party = party.id;
    for (const auto& key : party.keys) {
        if (key.current) {
            if (key.use == KeyUse::Sign) fillKey(keys.sign, key.publicKeyHex);
            else fillKey(keys.box, key.publicKeyHex);
            keys.validFrom = keyTime(key.validFrom);
        } else {
            (key.use == KeyUse::Sign ? keys.retiredSign : keys.retiredBox).push_back(periodOf(key));
        }
    }
    return keys;
}

Directory buildDirectory(const config::GatewayConfig& region, const std::map<std::string, DirectoryMember>& members,
                         const exchange::PeerKeys& peers, const privacy::PublicKeys& own) {
    if (!region.ca) throw DirectoryError(region.file.string() + ": the directory is published with a [ca] section");
    const CaFolder folder{region.ca->folder};
    Directory d;
    d.region = region.party;

    DirectoryParty self;
    self.id = region.party;
    self.role = PartyRole::Region;
    const auto regionMember = members.find(region.party);
    self.name = regionMember != members.end() ? regionMember->second.name : region.name;
    if (self.name.empty()) self.name = region.party;
    self.certificateSha256 = ownCertificate(region);
    self.keys = directoryKeys(own);
    d.parties.push_back(std::move(self));

    for (const auto& [id, peer] : region.peers) {
        const DirectoryMember& member = memberOf(members, id);
        DirectoryParty p;
        p.id = id;
        p.role = PartyRole::Institution;
        p.uai = member.uai;
        p.name = member.name;
        p.endpoint = peer.url;
        p.certificateSha256 = certificateOf(region, id);
        p.sendPurposes = peer.acceptPurposes;
        p.extractPurposes = peer.extractPurposes;
        p.keys = directoryKeys(peers.of(id));
        d.parties.push_back(std::move(p));
    }

    d.caChainPem = readWholeFile(folder.trustFile());
    d.crls.push_back(readWholeFile(folder.rootCrl()));
    if (std::filesystem::exists(folder.defaultCrl())) d.crls.push_back(readWholeFile(folder.defaultCrl()));
    return d;
}

}  // namespace passerelle::federation
