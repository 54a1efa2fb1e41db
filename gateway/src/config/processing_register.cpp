#include "config/processing_register.h"

#include "common/csv_text.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <sstream>

namespace passerelle::config {

namespace {

// French labels: the register is read by DPOs of French public bodies.
std::string_view classLabelFr(record::Sensitivity s) {
    switch (s) {
        case record::Sensitivity::Identifying: return "identifiant";
        case record::Sensitivity::Contact: return "coordonnées";
        case record::Sensitivity::Analytic: return "analytique";
        case record::Sensitivity::Pseudonymous: return "pseudonyme";
    }
    return "?";
}

std::string_view fieldDescription(record::Field f) { return record::fieldCatalog()[record::indexOf(f)].description; }

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (const std::string& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

std::string classLetters(const std::vector<record::Sensitivity>& classes) {
    std::vector<std::string> letters;
    for (record::Sensitivity s : classes) letters.emplace_back(1, static_cast<char>(s));
    return join(letters, ", ");
}

std::vector<std::string> fieldNames(const std::vector<record::Field>& fields) {
    std::vector<std::string> names;
    for (record::Field f : fields) names.emplace_back(record::nameOf(f));
    return names;
}

std::vector<std::string> counterpartsText(const GatewayConfig& config, const PurposeSettings& purpose,
                                          bool sendersWanted) {
    std::vector<std::string> out;
    for (const PurposeCounterpart& cp : counterparts(config, purpose)) {
        if (cp.sendsToUs != sendersWanted) continue;
        out.push_back(cp.job.empty() ? cp.party : cp.party + " (job " + cp.job + ")");
    }
    return out;
}

// ---- Markdown -------------------------------------------------------------

// Table cells: a '|' would split the cell, a line break would end the row.
std::string mdCell(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '|') out += "\\|";
        else if (c == '\n' || c == '\r') out += ' ';
        else out += c;
    }
    return out;
}

void markdownPurpose(std::ostringstream& md, const GatewayConfig& config, const PurposeSettings& p) {
    const auto senders = counterpartsText(config, p, true);
    const auto receivers = counterpartsText(config, p, false);
    md << "## Traitement `" << p.id << "`\n\n"
       << "| Rubrique | Contenu |\n|---|---|\n"
       << "| Finalité | " << mdCell(p.description) << " |\n"
       << "| Base légale | " << mdCell(p.legalBasis) << " |\n"
       << "| Responsable du traitement | " << mdCell(p.controller) << " — " << mdCell(p.controllerContact) << " |\n"
       << "| Délégué à la protection des données | " << mdCell(p.dpoContact) << " |\n"
       << "| Catégorie de personnes concernées | " << mdCell(p.dataSubjects) << " |\n"
       << "| Destinataires | " << mdCell(join(p.recipients, " ; ")) << " |\n";
    if (config.role == Role::Region) {
        md << "| Établissements émetteurs autorisés | "
           << mdCell(senders.empty() ? "aucun" : join(senders, ", ")) << " |\n";
    } else {
        md << "| Transmis à | " << mdCell(receivers.empty() ? "aucun (pas de job)" : join(receivers, ", ")) << " |\n";
    }
    md << "| Durée de conservation | " << p.retentionDays << " jours |\n"
       << "| Domaine de pseudonymisation | `" << p.pseudonymDomain << "` |\n"
       << "| Classes de données interdites | "
       << (p.forbiddenClasses.empty() ? "aucune" : classLetters(p.forbiddenClasses)) << " |\n"
       << "| Mesures de sécurité | " << mdCell(join(p.securityMeasures, " ; ")) << " |\n\n"
       << "Données traitées (dans l'ordre des champs du lot) :\n\n"
       << "| Champ | Classe | Description |\n|---|---|---|\n";
    for (record::Field f : p.fields) {
        md << "| `" << record::nameOf(f) << "` | " << classLetter(f) << " (" << classLabelFr(record::sensitivityOf(f))
           << ") | " << mdCell(fieldDescription(f)) << " |\n";
    }
    md << "\nChamps obligatoires (sinon l'enregistrement est mis en quarantaine) : "
       << join(fieldNames(p.required), ", ") << "\n\n";
}

std::string markdown(const GatewayConfig& config, std::string_view generatedAt) {
    std::ostringstream md;
    md << "# Registre des activités de traitement (RGPD, art. 30)\n\n"
       << "- Responsable du traitement : **" << mdCell(config.name) << "** (partie `" << config.party << "`, rôle "
       << roleName(config.role) << ")\n"
       << "- Établi le " << generatedAt << " par `passerelle audit register`, à partir de la configuration `"
       << config.file.filename().string() << "`\n"
       << "- Traitements : " << config.purposes.size() << "\n"
       << "- Classes de données : I identifiant, C coordonnées, A analytique, P pseudonyme (calculé par la "
          "passerelle, sans table de correspondance)\n\n";
    for (const auto& [id, purpose] : config.purposes) markdownPurpose(md, config, purpose);
    return md.str();
}

// ---- CSV: one row per purpose and field ------------------------------------


std::string csv(const GatewayConfig& config) {
    std::ostringstream out;
    const std::vector<std::string> header = {
        "party",         "party_name",     "purpose",          "description",      "legal_basis",
        "controller",    "controller_contact", "dpo_contact",  "data_subjects",    "recipients",
        "senders",       "sent_to",        "retention_days",   "pseudonym_domain", "forbid_classes",
        "security_measures", "field",      "field_class",      "field_required",   "field_description"};
    out << join(header, ",") << "\r\n";
    for (const auto& [id, p] : config.purposes) {
        for (record::Field f : p.fields) {
            const bool required = std::find(p.required.begin(), p.required.end(), f) != p.required.end();
            const std::vector<std::string> row = {config.party,
                                                  config.name,
                                                  p.id,
                                                  p.description,
                                                  p.legalBasis,
                                                  p.controller,
                                                  p.controllerContact,
                                                  p.dpoContact,
                                                  p.dataSubjects,
                                                  join(p.recipients, "; "),
                                                  join(counterpartsText(config, p, true), "; "),
                                                  join(counterpartsText(config, p, false), "; "),
                                                  std::to_string(p.retentionDays),
                                                  p.pseudonymDomain,
                                                  classLetters(p.forbiddenClasses),
                                                  join(p.securityMeasures, "; "),
                                                  std::string(record::nameOf(f)),
                                                  std::string(1, classLetter(f)),
                                                  required ? "yes" : "no",
                                                  std::string(fieldDescription(f))};
            for (std::size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << csvCell(row[i]);
            out << "\r\n";
        }
    }
    return out.str();
}

// ---- JSON -------------------------------------------------------------------

Poco::JSON::Array::Ptr stringArray(const std::vector<std::string>& items) {
    Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
    for (const std::string& s : items) a->add(s);
    return a;
}

Poco::JSON::Object::Ptr purposeJson(const GatewayConfig& config, const PurposeSettings& p) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("id", p.id);
    o->set("description", p.description);
    o->set("legal_basis", p.legalBasis);
    Poco::JSON::Object::Ptr controller = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    controller->set("name", p.controller);
    controller->set("contact", p.controllerContact);
    o->set("controller", controller);
    o->set("dpo_contact", p.dpoContact);
    o->set("data_subjects", p.dataSubjects);
    Poco::JSON::Array::Ptr fields = new Poco::JSON::Array;
    for (record::Field f : p.fields) {
        Poco::JSON::Object::Ptr field = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        field->set("name", std::string(record::nameOf(f)));
        field->set("class", std::string(1, classLetter(f)));
        field->set("description", std::string(fieldDescription(f)));
        fields->add(field);
    }
    o->set("fields", fields);
    o->set("required", stringArray(fieldNames(p.required)));
    std::vector<std::string> forbidden;
    for (record::Sensitivity s : p.forbiddenClasses) forbidden.emplace_back(1, static_cast<char>(s));
    o->set("forbid_classes", stringArray(forbidden));
    o->set("recipients", stringArray(p.recipients));
    Poco::JSON::Array::Ptr peers = new Poco::JSON::Array;
    for (const PurposeCounterpart& cp : counterparts(config, p)) {
        Poco::JSON::Object::Ptr peer = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        peer->set("party", cp.party);
        peer->set("direction", cp.sendsToUs ? "sends to us" : "we send to");
        if (!cp.job.empty()) peer->set("job", cp.job);
        peers->add(peer);
    }
    o->set("peers", peers);
    o->set("retention_days", p.retentionDays);
    o->set("pseudonym_domain", p.pseudonymDomain);
    o->set("security_measures", stringArray(p.securityMeasures));
    return o;
}

Poco::JSON::Array::Ptr purposesJson(const GatewayConfig& config) {
    Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
    for (const auto& [id, p] : config.purposes) a->add(purposeJson(config, p));
    return a;
}

std::string json(const GatewayConfig& config, std::string_view generatedAt) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("register", "GDPR art. 30 record of processing activities");
    Poco::JSON::Object::Ptr controller = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    controller->set("party", config.party);
    controller->set("name", config.name);
    controller->set("role", std::string(roleName(config.role)));
    o.set("controller", controller);
    o.set("generated_at", std::string(generatedAt));
    o.set("configuration", config.file.filename().string());
    o.set("purposes", purposesJson(config));
    std::ostringstream out;
    o.stringify(out, 2);
    out << "\n";
    return out.str();
}

}  // namespace

std::optional<RegisterFormat> registerFormatFromName(std::string_view name) {
    if (name == "md" || name == "markdown") return RegisterFormat::Markdown;
    if (name == "csv") return RegisterFormat::Csv;
    if (name == "json") return RegisterFormat::Json;
    return std::nullopt;
}

std::vector<PurposeCounterpart> counterparts(const GatewayConfig& config, const PurposeSettings& purpose) {
    std::vector<PurposeCounterpart> out;
    if (config.role == Role::Region) {
        for (const auto& [party, peer] : config.peers) {
            if (std::find(peer.acceptPurposes.begin(), peer.acceptPurposes.end(), purpose.id) !=
                peer.acceptPurposes.end()) {
                out.push_back({party, true, ""});
            }
        }
    } else {
        for (const auto& [name, job] : config.jobs) {
            if (job.purpose == purpose.id) out.push_back({job.recipient, false, name});
        }
    }
    return out;
}

std::string renderRegister(const GatewayConfig& config, RegisterFormat format, std::string_view generatedAt) {
    switch (format) {
        case RegisterFormat::Markdown: return markdown(config, generatedAt);
        case RegisterFormat::Csv: return csv(config);
        case RegisterFormat::Json: return json(config, generatedAt);
    }
    return {};
}

std::string renderPurposeList(const GatewayConfig& config, bool asJson) {
    std::ostringstream out;
    if (asJson) {
        Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
        o.set("party", config.party);
        o.set("purposes", purposesJson(config));
        o.stringify(out);
        out << "\n";
        return out.str();
    }
    out << config.purposes.size() << " purpose(s) of " << config.party << " (classes: I identifying, C contact, "
        << "A analytic, P pseudonym)\n";
    for (const auto& [id, p] : config.purposes) {
        std::vector<std::string> fields;
        for (record::Field f : p.fields) fields.push_back(fieldWithClass(f));
        out << "\n" << p.id << "\n"
            << "  description       " << p.description << "\n"
            << "  legal basis       " << p.legalBasis << "\n"
            << "  fields            " << join(fields, ", ") << "\n";
        if (!p.forbiddenClasses.empty()) out << "  forbidden classes " << classLetters(p.forbiddenClasses) << "\n";
        out << "  recipients        " << join(p.recipients, "; ") << "\n"
            << "  retention         " << p.retentionDays << " days\n"
            << "  pseudonym domain  " << p.pseudonymDomain << "\n";
    }
    return out.str();
}

}  // namespace passerelle::config
