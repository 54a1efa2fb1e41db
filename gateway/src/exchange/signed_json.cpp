#include "exchange/signed_json.h"

#include "common/encoding.h"
#include "common/json_text.h"
#include "common/strict_json.h"

#include <Poco/JSON/Object.h>

namespace passerelle::exchange {

std::string SignedJson::body(const std::string& key) const {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set(key, toBase64(asBytes(json)));
    o.set("signature", signature);
    return compactJson(o);
}

SignedJson SignedJson::fromBody(const std::string& body, const std::string& key, const std::string& what,
                                OtherKeys otherKeys) {
    StrictJsonObject o(body, [&what](const JsonRefusal& r) {
        using P = JsonRefusal::Problem;
        switch (r.problem) {
            case P::NotJson:
            case P::NotObject:
                throw SignedJsonError(what + " is not a JSON object" +
                                      (r.parserDisplayText.empty() ? "" : ": " + r.parserDisplayText));
            case P::Missing:
                throw SignedJsonError(what + ": key '" + r.member + "' is missing");
            case P::Unknown:
                throw SignedJsonError(what + ": unknown key" +
                                      (r.member.empty() ? "" : " '" + r.member + "'"));
            default:
                throw SignedJsonError(what + ": key '" + r.member + "' is not a string");
        }
    });
    const std::string document = o.text(key);
    SignedJson s;
    s.signature = o.text("signature");
    if (otherKeys == OtherKeys::Refused) o.refuseOtherMembers();
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
