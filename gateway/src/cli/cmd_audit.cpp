// passerelle audit verify|list|show|export|subject: the DPO's view of the
// ledger, offline, from the gateway's own files.

#include "audit/audit.h"
#include "audit/audit_views.h"
#include "cli/commands.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "party/gateway.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <charconv>
#include <iomanip>
#include <iostream>

namespace passerelle::cli {

namespace {

ledger::EntryFilter filterFrom(const ParsedOptions& options) {
    ledger::EntryFilter f;
    f.purpose = options.optional("purpose").value_or("");
    f.counterpart = options.optional("counterpart").value_or("");
    f.operation = options.optional("operation").value_or("");
    // A misspelt operation would list nothing and read as "never happened": refused instead.
    if (!f.operation.empty() && f.operation != ledger::kBlankedEntryOperation) {
        try {
            (void)ledger::parseOperation(f.operation);
        } catch (const LedgerError& e) {
            throw UsageError(std::string("--operation: ") + e.what());
        }
    }
    f.from = options.optional("from").value_or("");
    f.to = options.optional("to").value_or("");
    for (const std::string* bound : {&f.from, &f.to}) {
        // YYYY-MM-DD, optionally followed by a time: bounds compare as text.
        const std::string& b = *bound;
        const bool date = b.size() >= 10 && b[4] == '-' && b[7] == '-' &&
                          std::all_of(b.begin(), b.begin() + 4, ::isdigit);
        if (!b.empty() && !date) throw UsageError("--from/--to take a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    }
    return f;
}

std::vector<OptionSpec> filterOptions() {
    return {
        {"purpose", true, "only entries of this purpose", "ID"},
        {"counterpart", true, "only entries with this counterpart party", "PARTY"},
        {"operation", true,
         "only this operation (e.g. batch-sealed, batch-received, batch-refused; docs/ledger.md lists them)",
         "OP"},
        {"from", true, "entries at or after this UTC date or time", "DATE"},
        {"to", true, "entries at or before this UTC date or time (a date takes the whole day)", "DATE"}};
}

std::string cell(std::string text, std::size_t width) {
    if (text.size() > width) text = text.substr(0, width - 1) + "~";
    text.resize(width, ' ');
    return text;
}

int list(const ParsedOptions& options) {
    auto gateway = exchange::Gateway::open(options.value("config"));
    const auto entries = gateway->ledger().query(filterFrom(options));
    if (options.has("json")) {
        Poco::JSON::Array out;
        for (const auto& e : entries) out.add(exchange::entryJson(e));
        out.stringify(std::cout);
        std::cout << "\n";
        return kExitOk;
    }
    std::cout << cell("INDEX", 7) << cell("TIME (UTC)", 21) << cell("OPERATION", 23) << cell("PURPOSE", 22)
              << cell("COUNTERPART", 22) << cell("RECORDS", 9) << cell("BATCH", 34) << "OUTCOME\n";
    for (const auto& e : entries) {
        std::cout << cell(std::to_string(e.index), 7) << cell(e.time, 21) << cell(e.operation, 23)
                  << cell(e.purpose, 22) << cell(e.counterpart, 22) << cell(std::to_string(e.recordCount), 9)
                  << cell(e.batchId, 34) << e.outcome << "\n";
    }
    std::cout << entries.size() << " entr" << (entries.size() == 1 ? "y" : "ies") << "\n";
    return kExitOk;
}

void printEntry(const exchange::ProvenEntry& p) {
    const auto& e = p.entry;
    std::string fields;
    for (const auto& f : e.fields) fields += (fields.empty() ? "" : ", ") + f;
    const std::pair<const char*, std::string> rows[] = {
        {"time", e.time},          {"actor", e.actor},           {"operation", e.operation},
        {"purpose", e.purpose},    {"legal basis", e.legalBasis}, {"counterpart", e.counterpart},
        {"fields", fields},        {"record count", std::to_string(e.recordCount)},
        {"batch", e.batchId},     {"payload digest", e.payloadDigest}, {"outcome", e.outcome},
        {"reason", e.reason}};
    std::cout << "entry " << e.index << "\n";
    for (const auto& [label, value] : rows) {
        if (!value.empty()) std::cout << "  " << std::left << std::setw(16) << label << value << "\n";
    }
    std::cout << "  " << std::left << std::setw(16) << "leaf hash" << toHex(p.proof.leafHash) << "\n"
              << "inclusion proof in checkpoint " << p.checkpoint.treeSize << " "
              << toHex(p.checkpoint.rootHash) << " (signed " << p.checkpoint.time << ", key "
              << p.checkpoint.keyId << "):\n";
    for (const auto& h : p.proof.path) std::cout << "  " << toHex(h) << "\n";
    std::cout << "proof " << (p.verifies ? "verifies" : "DOES NOT VERIFY") << "\n\n";
}

int show(const ParsedOptions& options) {
    auto gateway = exchange::Gateway::open(options.value("config"));
    const std::string what = options.argument();
    std::vector<std::uint64_t> indices;
    std::uint64_t index = 0;
    const auto parsed = std::from_chars(what.data(), what.data() + what.size(), index);
    if (parsed.ec == std::errc() && parsed.ptr == what.data() + what.size()) {
        indices.push_back(index);
    } else {
        ledger::EntryFilter ofBatch;
        ofBatch.batchId = what;
        for (const auto& e : gateway->ledger().query(ofBatch)) indices.push_back(e.index);
        if (indices.empty()) throw Error("no ledger entry names batch '" + what + "'");
    }
    std::vector<exchange::ProvenEntry> proven;
    for (std::uint64_t i : indices) proven.push_back(exchange::proveEntry(gateway->ledger(), i));
    const bool allVerify = std::all_of(proven.begin(), proven.end(), [](const auto& p) { return p.verifies; });
    if (options.has("json")) {
        Poco::JSON::Array out;
        for (const auto& p : proven) {
            Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            o->set("entry", exchange::entryJson(p.entry));
            o->set("proof", exchange::proofJson(p.proof));
            o->set("checkpoint", exchange::checkpointJson(p.checkpoint));
            out.add(o);
        }
        out.stringify(std::cout);
        std::cout << "\n";
    } else {
        for (const auto& p : proven) printEntry(p);
    }
    return allVerify ? kExitOk : kExitFailed;
}

int exportLedger(const ParsedOptions& options) {
    auto gateway = exchange::Gateway::open(options.value("config"));
    const std::string format = options.optional("format").value_or("jsonl");
    if (format == "jsonl") {
        if (gateway->ledger().uncheckpointed() > 0) gateway->ledger().checkpoint();
        exchange::exportJsonLines(gateway->ledger(), gateway->config().party, gateway->ownSignKeys(), std::cout);
    } else if (format == "csv") {
        exchange::exportCsv(gateway->ledger().query(filterFrom(options)), std::cout);
    } else {
        throw UsageError("--format is jsonl or csv");
    }
    return kExitOk;
}

}  // namespace

Command auditVerifyCommand() {
    CommandSpec spec;
    spec.name = "audit verify";
    spec.summary = "check the ledger's tree and checkpoints, every stored batch and receipt; exit 1 on a mismatch";
    spec.usage = "passerelle audit verify --config FILE";
    spec.options = {configOption()};
    spec.details =
        "Recomputes the ledger's Merkle tree from the stored entries (trusting no stored hash),\n"
        "checks each of this gateway's signed checkpoints against it and the signatures of the\n"
        "counterparts' checkpoints it holds, then each stored batch's signed manifest and payload\n"
        "digest, and the counterpart's signature on each receipt. Each signature is checked with the\n"
        "signer's key that was valid at the document's date (the key history in public.keys: own\n"
        "and peers', current and retired). Reads only; needs no network.\n"
        "Exit 0 when everything is intact, 1 naming the first entry or checkpoint that is not.";
    return {spec, [](const ParsedOptions& options) {
                auto gateway = exchange::Gateway::open(options.value("config"));
                const auto report = exchange::auditGateway(*gateway);
                std::cout << "ledger: " << report.ledgerEntries << " entries, root " << report.ledgerRoot << "\n"
                          << "checkpoints checked: " << report.ownCheckpoints << " own, " << report.peerCheckpoints
                          << " from counterparts\n"
                          << "stored batches checked: " << report.batchesChecked
                          << ", receipts checked: " << report.receiptsChecked << "\n";
                if (report.batchesElsewhere > 0) {
                    std::cout << "batches whose files are in other instances' state folders (audit them there): "
                              << report.batchesElsewhere << "\n";
                }
                if (report.intact()) {
                    std::cout << "audit verify: intact\n";
                    return kExitOk;
                }
                std::cout << "audit verify: NOT intact\n";
                for (const auto& f : report.findings) std::cout << "  " << f.what << ": " << f.problem << "\n";
                return kExitFailed;
            }};
}

Command auditListCommand() {
    CommandSpec spec;
    spec.name = "audit list";
    spec.summary = "list ledger entries, filtered by purpose, counterpart, operation and time";
    spec.usage = "passerelle audit list --config FILE [--purpose ID] [--counterpart PARTY] [--operation OP]\n"
                 "                      [--from DATE] [--to DATE] [--json]";
    spec.options = {configOption()};
    for (auto& o : filterOptions()) spec.options.push_back(o);
    spec.options.push_back({"json", false, "print a JSON array of entries instead of a table", ""});
    spec.details = "Entries hold no personal data: field names, counts, digests and parties only.";
    return {spec, list};
}

Command auditShowCommand() {
    CommandSpec spec;
    spec.name = "audit show";
    spec.summary = "one entry (or every entry of a batch) with its Merkle inclusion proof";
    spec.usage = "passerelle audit show --config FILE ENTRY_INDEX|BATCH_ID [--json]";
    spec.argument = "ENTRY_INDEX|BATCH_ID";
    spec.options = {configOption(), {"json", false, "print JSON: entry, proof and checkpoint", ""}};
    spec.details =
        "The proof is checked against the newest signed checkpoint (one is signed first when the\n"
        "entry is newer). Exit 1 if a proof does not verify.";
    return {spec, show};
}

Command auditExportCommand() {
    CommandSpec spec;
    spec.name = "audit export";
    spec.summary = "export the ledger (JSON Lines, independently checkable) or its entries as CSV";
    spec.usage = "passerelle audit export --config FILE [--format jsonl|csv] [CSV filters]";
    spec.options = {configOption(), {"format", true, "jsonl (default) or csv", "FORMAT"}};
    for (auto& o : filterOptions()) spec.options.push_back(o);
    spec.details =
        "jsonl: a header line with the party's Ed25519 keys (hex, by key id), one line per entry with the exact\n"
        "bytes hashed for its leaf (entry_b64) and the leaf hash, then the signed checkpoints with\n"
        "the exact signed bytes (signed_b64): any RFC 9162 implementation and any Ed25519 library\n"
        "can recompute the roots and check the signatures (docs/ledger.md shows how).\n"
        "csv: one row per entry, for a spreadsheet; filters apply.";
    return {spec, exportLedger};
}

Command auditSubjectCommand() {
    Command c = subjectCommand();
    c.spec.name = "audit subject";
    c.spec.usage = "passerelle audit subject --config FILE (--local-id ID | --ine INE) [--json]";
    return c;
}

}  // namespace passerelle::cli
