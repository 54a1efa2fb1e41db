#include "exchange/signed_json.h"

#include "common/encoding.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <sstream>

namespace passerelle::exchange {

std::string SignedJson::body(const std::string& key) const {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set(key, toBase64(asBytes(json)));
    o.set("signature", signature);
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

SignedJson SignedJson::fromBody(const std::string& body, const std::string& key, const std::string& what,
                                OtherKeys otherKeys) {
    Poco::JSON::Object::Ptr o;
    try {
        o = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception& e) {
        throw SignedJsonError(what + " is not a JSON object: " + e.displayText());
    }
    if (!o) throw SignedJsonError(what + " is not a JSON object");
    auto text = [&](const std::string& name) {
        if (!o->has(name)) throw SignedJsonError(what + ": key '" + name + "' is missing");
        if (!o->get(name).isString()) throw SignedJsonError(what + ": key '" + name + "' is not a string");
        return o->getValue<std::string>(name);
    };
    const std::string document = text(key);
    SignedJson s;
    s.signature = text("signature");
    if (otherKeys == OtherKeys::Refused) {
        for (const auto& [name, value] : *o) {
            if (name == key || name == "signature") continue;
            // Named only when a plain identifier: the message may reach the ledger.
            const bool plain = name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
                                   return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                               });
            throw SignedJsonError(what + ": unknown key" + (plain ? " '" + name + "'" : ""));
        }
    }
    try {
        const auto bytes = fromBase64(document);
        s.json.assign(bytes.begin(), bytes.end());
    } catch (const std::invalid_argument&) {
        throw SignedJsonError(what + ": key '" + key + "' is not base64");
    }
    return s;
}

SignedJson SignedJson::sign(std::string json, const privacy::PartyKeys& keys) {
    SignedJson s;
    s.json = std::move(json);
    s.signature = toBase64(keys.sign(asBytes(s.json)));
    return s;
}

bool SignedJson::verifies(const privacy::SignPublicKey& publicKey) const {
    try {
        return privacy::verifySignature(publicKey, asBytes(json), fromBase64(signature));
    } catch (const std::invalid_argument&) {
        return false;  // not base64: no signature at all
    }
}

}  // namespace passerelle::exchange
