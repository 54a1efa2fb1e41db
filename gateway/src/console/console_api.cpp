#include "console/console_api.h"

#include <set>

#include "common/clock.h"
#include "config/processing_register.h"

namespace passerelle::console {

namespace {

const std::string kBatchesPrefix = "/api/batches/";

ConsoleError notFound() {
    return ConsoleError(Status::HTTP_NOT_FOUND, "introuvable",
                        "Cette adresse ne fait pas partie de l'API de la console.");
}

}  // namespace

Reply ConsoleApi::handle(const ApiRequest& request) {
    std::lock_guard lock(mutex_);
    const std::string& path = request.path;
    if (request.method == "POST") {
        if (path == "/api/subject") return subject(request);
        throw notFound();
    }
    if (request.method != "GET") {
        throw ConsoleError(Status::HTTP_METHOD_NOT_ALLOWED, "methode_refusee",
                           "Méthode HTTP non prise en charge.");
    }
    if (path == "/api/overview") return overview();
    if (path == "/api/entries") return entries(request);
    if (path == "/api/entries.csv") return entriesCsv(request);
    if (path.starts_with(kBatchesPrefix)) return batch(path.substr(kBatchesPrefix.size()));
    if (path == "/api/verification") return verification();
    if (path == "/api/register") return processingRegister();
    if (path == "/api/objections") return objections();
    throw notFound();
}

// Who this gateway is, and the values the transfer filters offer.
Reply ConsoleApi::overview() {
    const auto& config = gateway_.config();
    auto o = newObject();
    o->set("party", config.party);
    o->set("name", config.name);
    o->set("role", std::string(config::roleName(config.role)));
    std::vector<std::string> purposes, counterparts;
    for (const auto& [id, purpose] : config.purposes) purposes.push_back(id);
    for (const auto& [party, peer] : config.peers) counterparts.push_back(party);
    std::set<std::string> operations;
    for (const auto& e : gateway_.ledger().query({})) operations.insert(e.operation);
    o->set("purposes", stringArray(purposes));
    o->set("counterparts", stringArray(counterparts));
    o->set("operations", stringArray({operations.begin(), operations.end()}));
    o->set("ledger_entries", gateway_.ledger().size());
    return jsonReply(o);
}

Reply ConsoleApi::processingRegister() {
    const std::string text = config::renderRegister(gateway_.config(), config::RegisterFormat::Json,
                                                    formatUtc(std::chrono::system_clock::now()));
    return Reply{Status::HTTP_OK, "application/json", text, {}};
}

}  // namespace passerelle::console
