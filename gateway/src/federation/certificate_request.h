#pragma once
// A party's certificate signing request, checked before the CA signs anything:
// it parses, its signature verifies with its own key, its subject holds exactly
// one common name and that name is a party id, and its key is one we accept.

#include <filesystem>
#include <string>
#include <string_view>

#include "common/identifiers.h"
#include "federation/openssl_handles.h"

namespace passerelle::federation {

struct CheckedRequest {
    PartyId party;
    PrivateKey publicKey;  // the request's key (public half only), owned
};

// `pem` is the content of `file`, which every message names. CaError otherwise.
CheckedRequest checkRequest(std::string_view pem, const std::filesystem::path& file);

// An extra subjectAltName (--san): "IP:<address>" for an IPv4 or IPv6 address,
// "DNS:<name>" for a host name; CaError quoting neither for anything else.
std::string subjectAltNameEntry(const std::string& name);

}  // namespace passerelle::federation
