#pragma once
// What the Region's directory says, made from what the Region already knows: its
// configuration's [peer.*] sections (endpoint, purposes, certificate pin), the
// peers' public.keys with their key history, its own keys, the CA folder (chain,
// lists, the certificates it issued) and the signatories' UAIs and names.

#include <map>
#include <string>
#include <vector>

#include "config/gateway_config.h"
#include "federation/directory.h"
#include "party/peer_keys.h"
#include "privacy/public_keys.h"

namespace passerelle::federation {

// A signatory of the convention as the directory names it.
struct DirectoryMember {
    std::string uai;
    std::string name;
};

// Keys as the directory lists them: the retired ones, then the current ones.
std::vector<DirectoryKey> directoryKeys(const privacy::PublicKeys& keys);
// The reverse: a party's keys, with their history, as a gateway checks and seals with them.
privacy::PublicKeys publicKeysOf(const DirectoryParty& party);

// The directory's content (version and issue time are set when it is published).
// DirectoryError naming the party when one cannot be listed: no UAI or name in
// `members`, no certificate known (neither [peer.*] certificate_sha256 nor an
// unrevoked certificate the CA issued it).
Directory buildDirectory(const config::GatewayConfig& region, const std::map<std::string, DirectoryMember>& members,
                         const exchange::PeerKeys& peers, const privacy::PublicKeys& own);

}  // namespace passerelle::federation
