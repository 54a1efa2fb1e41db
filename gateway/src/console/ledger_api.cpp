// The ledger views: transfers (filtered, sorted, paged; CSV), one batch with
// its inclusion proofs, and the whole verification (auditGateway).

#include <algorithm>
#include <charconv>
#include <map>
#include <regex>
#include <sstream>

#include "audit/audit.h"
#include "audit/audit_views.h"
#include "common/encoding.h"
#include "console/console_api.h"

namespace passerelle::console {

namespace {

constexpr std::uint64_t kDefaultPerPage = 25;
constexpr std::uint64_t kMaxPerPage = 200;
constexpr std::size_t kMaxFilterLength = 128;
constexpr std::size_t kRecentCheckpoints = 10;

ConsoleError badParameter(const std::string& name, const std::string& expected) {
    return ConsoleError(Status::HTTP_BAD_REQUEST, "parametre_invalide",
                        "Paramètre « " + name + " » invalide : " + expected + ".");
}

std::string parameter(const ApiRequest& request, const std::string& name) {
    const auto it = request.query.find(name);
    if (it == request.query.end()) return {};
    if (it->second.size() > kMaxFilterLength) throw badParameter(name, "valeur trop longue");
    return it->second;
}

std::string dateParameter(const ApiRequest& request, const std::string& name) {
    static const std::regex date(R"(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?)");
    std::string value = parameter(request, name);
    if (!value.empty() && !std::regex_match(value, date)) {
        throw badParameter(name, "une date AAAA-MM-JJ est attendue");
    }
    return value;
}

std::uint64_t numberParameter(const ApiRequest& request, const std::string& name, std::uint64_t fallback,
                              std::uint64_t max) {
    const std::string text = parameter(request, name);
    if (text.empty()) return fallback;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > max) {
        throw badParameter(name, "un nombre entre 1 et " + std::to_string(max) + " est attendu");
    }
    return value;
}

ledger::EntryFilter filterOf(const ApiRequest& request) {
    ledger::EntryFilter filter;
    filter.purpose = parameter(request, "purpose");
    filter.counterpart = parameter(request, "counterpart");
    filter.operation = parameter(request, "operation");
    filter.from = dateParameter(request, "from");
    filter.to = dateParameter(request, "to");
    return filter;
}

using EntryOrder = bool (*)(const ledger::LedgerEntry&, const ledger::LedgerEntry&);

// The sortable columns, by their API name.
const std::map<std::string, EntryOrder>& sortColumns() {
    using E = ledger::LedgerEntry;
    static const std::map<std::string, EntryOrder> columns = {
        {"index", [](const E& a, const E& b) { return a.index < b.index; }},
        {"time", [](const E& a, const E& b) { return a.time < b.time; }},
        {"operation", [](const E& a, const E& b) { return a.operation < b.operation; }},
        {"purpose", [](const E& a, const E& b) { return a.purpose < b.purpose; }},
        {"counterpart", [](const E& a, const E& b) { return a.counterpart < b.counterpart; }},
        {"records", [](const E& a, const E& b) { return a.recordCount < b.recordCount; }},
    };
    return columns;
}

// A stable sort on the chosen column; ties keep ledger order.
void sortEntries(std::vector<ledger::LedgerEntry>& entries, const ApiRequest& request) {
    const std::string column = parameter(request, "sort").empty() ? "index" : parameter(request, "sort");
    const std::string order = parameter(request, "order").empty() ? "asc" : parameter(request, "order");
    const auto it = sortColumns().find(column);
    if (it == sortColumns().end()) {
        throw badParameter("sort", "index, time, operation, purpose, counterpart ou records est attendu");
    }
    if (order != "asc" && order != "desc") throw badParameter("order", "« asc » ou « desc » est attendu");
    const EntryOrder less = it->second;
    if (order == "desc") {
        std::stable_sort(entries.begin(), entries.end(),
                         [less](const auto& a, const auto& b) { return less(b, a); });
    } else {
        std::stable_sort(entries.begin(), entries.end(), less);
    }
}

Poco::JSON::Object::Ptr outboxJson(const store::OutboxBatch& b) {
    auto o = newObject();
    o->set("recipient", b.recipient);
    o->set("purpose", b.purpose);
    o->set("job", b.job);
    o->set("record_count", b.recordCount);
    o->set("created_at", b.createdAt);
    o->set("status", std::string(b.status == store::OutboxStatus::Receipted ? "receipted" : "pending"));
    o->set("attempts", b.attempts);
    o->set("last_error", b.lastError);
    o->set("receipted_at", b.receiptedAt);
    return o;
}

Poco::JSON::Object::Ptr inboxJson(const store::InboxBatch& b) {
    auto o = newObject();
    o->set("sender", b.sender);
    o->set("purpose", b.purpose);
    o->set("record_count", b.recordCount);
    o->set("received_at", b.receivedAt);
    o->set("status", std::string(b.status == store::InboxStatus::Delivered ? "delivered" : "stored"));
    o->set("sink_attempts", b.sinkAttempts);
    o->set("sink_error", b.sinkError);
    o->set("delivered_at", b.deliveredAt);
    return o;
}

Poco::JSON::Array::Ptr checkpointsJson(const std::vector<ledger::Checkpoint>& checkpoints,
                                       const std::string& type, std::size_t newest) {
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
    const std::size_t first = checkpoints.size() > newest ? checkpoints.size() - newest : 0;
    for (std::size_t i = checkpoints.size(); i-- > first;)
        out->add(exchange::checkpointJson(checkpoints[i], type));
    return out;
}

}  // namespace

Reply ConsoleApi::entries(const ApiRequest& request) {
    auto matching = gateway_.ledger().query(filterOf(request));
    sortEntries(matching, request);
    const std::uint64_t perPage = numberParameter(request, "per_page", kDefaultPerPage, kMaxPerPage);
    const std::uint64_t page = numberParameter(request, "page", 1, UINT32_MAX);
    Poco::JSON::Array::Ptr shown = new Poco::JSON::Array;
    for (std::uint64_t i = (page - 1) * perPage; i < matching.size() && i < page * perPage; ++i) {
        shown->add(exchange::entryJson(matching[i]));
    }
    auto o = newObject();
    o->set("total", static_cast<std::uint64_t>(matching.size()));
    o->set("page", page);
    o->set("per_page", perPage);
    o->set("entries", shown);
    return jsonReply(o);
}

Reply ConsoleApi::entriesCsv(const ApiRequest& request) {
    auto matching = gateway_.ledger().query(filterOf(request));
    sortEntries(matching, request);
    std::ostringstream csv;
    exchange::exportCsv(matching, csv);
    const std::string file = "registre-" + gateway_.config().party + ".csv";
    return Reply{Status::HTTP_OK,
                 "text/csv; charset=utf-8",
                 csv.str(),
                 {{"Content-Disposition", "attachment; filename=\"" + file + "\""}}};
}

Reply ConsoleApi::batch(const std::string& batchId) {
    static const std::regex id("[0-9a-f]{8,64}");
    if (!std::regex_match(batchId, id))
        throw badParameter("lot", "un identifiant de lot hexadécimal est attendu");
    ledger::EntryFilter filter;
    filter.batchId = batchId;
    const auto entries = gateway_.ledger().query(filter);
    if (entries.empty()) {
        throw ConsoleError(Status::HTTP_NOT_FOUND, "lot_inconnu",
                           "Aucune entrée du registre ne concerne ce lot.");
    }
    Poco::JSON::Array::Ptr proven = new Poco::JSON::Array;
    for (const auto& e : entries) {
        const auto p = exchange::proveEntry(gateway_.ledger(), e.index);
        auto item = newObject();
        item->set("entry", exchange::entryJson(p.entry));
        item->set("proof", exchange::proofJson(p.proof));
        item->set("checkpoint", exchange::checkpointJson(p.checkpoint));
        item->set("verifies", p.verifies);
        proven->add(item);
    }
    auto o = newObject();
    o->set("batch_id", batchId);
    o->set("entries", proven);
    const auto outbox = gateway_.store().outbox().outboxBatch(batchId);
    const auto inbox = gateway_.store().inbox().inboxBatch(batchId);
    o->set("outbox", outbox ? Poco::Dynamic::Var(outboxJson(*outbox)) : Poco::Dynamic::Var());
    o->set("inbox", inbox ? Poco::Dynamic::Var(inboxJson(*inbox)) : Poco::Dynamic::Var());
    return jsonReply(o);
}

Reply ConsoleApi::verification() {
    const exchange::AuditReport report = exchange::auditGateway(gateway_);
    auto o = newObject();
    o->set("intact", report.intact());
    o->set("ledger_entries", report.ledgerEntries);
    o->set("ledger_root", report.ledgerRoot);
    o->set("own_checkpoints", report.ownCheckpoints);
    o->set("peer_checkpoints", report.peerCheckpoints);
    o->set("batches_checked", report.batchesChecked);
    o->set("receipts_checked", report.receiptsChecked);
    o->set("batches_elsewhere", report.batchesElsewhere);
    Poco::JSON::Array::Ptr findings = new Poco::JSON::Array;
    for (const auto& f : report.findings) {
        auto item = newObject();
        item->set("what", f.what);
        item->set("problem", f.problem);
        findings->add(item);
    }
    o->set("findings", findings);
    o->set("recent_checkpoints",
           checkpointsJson(gateway_.ledger().checkpoints(), "checkpoint", kRecentCheckpoints));
    o->set("counterpart_checkpoints", checkpointsJson(gateway_.ledger().peerCheckpoints(),
                                                      "counterpart_checkpoint", kRecentCheckpoints));
    return jsonReply(o);
}

}  // namespace passerelle::console
