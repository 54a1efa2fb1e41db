// The views only the institution can answer: the access request (GDPR art.
// 15) and the objections (GDPR art. 21). The identifier searched for is
// personal data: it arrives in the POST body only, is never logged, and is
// never part of an answer or an error message.

#include <Poco/JSON/Parser.h>

#include "audit/subject_access.h"
#include "console/console_api.h"

namespace passerelle::console {

namespace {

constexpr std::size_t kMaxIdentifierLength = 64;
constexpr std::size_t kPseudonymPrefixLength = 16;
const std::string kActor = "dpo-console";

ConsoleError badSearch(const std::string& message) {
    return ConsoleError(Status::HTTP_BAD_REQUEST, "recherche_invalide", message);
}

// {"local_id": "..."} or {"ine": "..."}, exactly one, a short non-empty string.
exchange::TraineeLookup lookupOf(const std::string& body) {
    Poco::JSON::Object::Ptr o;
    try {
        o = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        throw badSearch("Le corps de la requête doit être un objet JSON.");
    } catch (const std::exception&) {
        throw badSearch("Le corps de la requête doit être un objet JSON.");
    }
    if (o->size() != 1 || !(o->has("local_id") || o->has("ine")) ||
        !o->get(o->has("ine") ? "ine" : "local_id").isString()) {
        throw badSearch("Indiquez soit « local_id » (numéro étudiant), soit « ine », sous forme de texte.");
    }
    const bool byIne = o->has("ine");
    const std::string value = o->getValue<std::string>(byIne ? "ine" : "local_id");
    if (value.empty() || value.size() > kMaxIdentifierLength) {
        throw badSearch("L'identifiant doit compter entre 1 et 64 caractères.");
    }
    return byIne ? exchange::TraineeLookup::ine(value) : exchange::TraineeLookup::localId(value);
}

Poco::JSON::Object::Ptr reportJson(const exchange::SubjectAccessReport& report) {
    auto o = newObject();
    o->set("jobs", stringArray(report.jobsWithTrainee));
    Poco::JSON::Array::Ptr pseudonyms = new Poco::JSON::Array;
    for (const auto& p : report.pseudonyms) {
        auto item = newObject();
        item->set("domain", p.domain);
        item->set("purposes", stringArray(p.purposes));
        item->set("epoch", p.epoch);
        item->set("pseudonym", p.pseudonym);
        item->set("jobs", stringArray(p.jobs));
        pseudonyms->add(item);
    }
    o->set("pseudonyms", pseudonyms);
    Poco::JSON::Array::Ptr batches = new Poco::JSON::Array;
    for (const auto& b : report.batches) {
        auto item = newObject();
        item->set("batch_id", b.batchId);
        item->set("purpose", b.purpose);
        item->set("recipient", b.recipient);
        item->set("created_at", b.createdAt);
        item->set("status", b.status);
        item->set("receipted_at", b.receiptedAt);
        batches->add(item);
    }
    o->set("batches", batches);
    return o;
}

}  // namespace

void ConsoleApi::requireInstitution(const std::string& what) const {
    if (gateway_.config().role == config::Role::Institution) return;
    throw ConsoleError(Status::HTTP_CONFLICT, "reserve_a_l_etablissement",
                       what +
                           " relève de l'établissement : la Région ne détient que des pseudonymes, sans "
                           "moyen de les rattacher à une personne. Adressez la demande à l'établissement "
                           "qui a formé la personne.");
}

Reply ConsoleApi::subject(const ApiRequest& request) {
    requireInstitution("La recherche d'une personne");
    const exchange::TraineeLookup lookup = lookupOf(request.body);
    try {
        return jsonReply(reportJson(exchange::lookUpSubject(gateway_, lookup, kActor)));
    } catch (const exchange::TraineeNotFound&) {
        // Its message echoes the identifier: it goes no further.
        throw ConsoleError(Status::HTTP_NOT_FOUND, "personne_introuvable",
                           "Aucun export configuré ne contient de personne avec cet identifiant.");
    }
}

Reply ConsoleApi::objections() {
    requireInstitution("La liste des oppositions");
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& objection : gateway_.store().objections().all()) {
        auto item = newObject();
        item->set("purpose", objection.purpose);
        // A prefix is enough to tell objections apart; the full pseudonym stays in the store.
        item->set("pseudonym_prefix", objection.pseudonym.substr(0, kPseudonymPrefixLength));
        item->set("created_at", objection.createdAt);
        list->add(item);
    }
    auto o = newObject();
    o->set("objections", list);
    return jsonReply(o);
}

}  // namespace passerelle::console
