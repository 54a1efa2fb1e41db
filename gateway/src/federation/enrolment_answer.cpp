#include "federation/enrolment_answer.h"

#include <Poco/JSON/Object.h>

#include "common/identifiers.h"
#include "common/json_text.h"
#include "common/strict_json.h"

namespace passerelle::federation {

std::string EnrolmentAnswer::toJson() const {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("format", std::string(kEnrolmentAnswerFormat));
    o.set("party", party);
    o.set("certificate_chain", certificateChain);
    o.set("federation_ca", federationCa);
    o.set("root_crl", rootCrl);
    o.set("crl", crl);
    o.set("region", region);
    o.set("region_public_keys", regionPublicKeys);
    o.set("region_url", regionUrl);
    o.set("root_sha256", rootSha256);
    o.set("created", created);
    return compactJson(o);
}

EnrolmentAnswer EnrolmentAnswer::parse(std::string_view json, const std::filesystem::path& file) {
    const auto refuse = [&file](const std::string& why) {
        return EnrolmentError(file.string() + ": " + why + "; nothing was written");
    };
    StrictJsonObject o(json, [&refuse](const JsonRefusal& r) {
        using P = JsonRefusal::Problem;
        switch (r.problem) {
            case P::NotJson:
            case P::NotObject:
                throw refuse("the signed answer is not a JSON object");
            case P::Missing:
                throw refuse("the enrolment answer has no '" + r.member + "'");
            case P::Unknown:
                throw refuse("the enrolment answer has an unknown member" +
                             (r.member.empty() ? std::string() : " '" + r.member + "'"));
            default:
                throw refuse("the enrolment answer's '" + r.member + "' is not a string");
        }
    });
    if (o.text("format") != kEnrolmentAnswerFormat) {
        throw refuse("not an enrolment answer of format " + std::string(kEnrolmentAnswerFormat));
    }
    EnrolmentAnswer a;
    a.party = o.text("party");
    a.certificateChain = o.text("certificate_chain");
    a.federationCa = o.text("federation_ca");
    a.rootCrl = o.text("root_crl");
    a.crl = o.text("crl");
    a.region = o.text("region");
    a.regionPublicKeys = o.text("region_public_keys");
    a.regionUrl = o.text("region_url");
    a.rootSha256 = o.text("root_sha256");
    a.created = o.text("created");
    o.refuseOtherMembers();
    // Both name files and configuration sections on import: checked here, never quoted.
    for (const auto& [member, value] : {std::pair{"party", &a.party}, std::pair{"region", &a.region}}) {
        if (!PartyId::isValid(*value)) {
            throw refuse("the enrolment answer's '" + std::string(member) + "' is not a party id (" +
                         identifier_rules::Name::kRule + ")");
        }
    }
    return a;
}

std::string signedAnswerText(const EnrolmentAnswer& answer, const privacy::PartyKeys& keys) {
    return exchange::SignedJson::sign(answer.toJson(), keys).body("answer") + "\n";
}

SignedAnswer readSignedAnswer(std::string_view text, const std::filesystem::path& file) {
    SignedAnswer read;
    try {
        read.signedJson = exchange::SignedJson::fromBody(std::string(text), "answer", file.string(),
                                                         exchange::SignedJson::OtherKeys::Refused);
    } catch (const exchange::SignedJsonError& e) {
        throw EnrolmentError(std::string(e.what()) + " (not an answer made by passerelle peers add); nothing "
                                                     "was written");
    }
    read.answer = EnrolmentAnswer::parse(read.signedJson.json, file);
    return read;
}

}  // namespace passerelle::federation
