#include "federation/issued_index.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

#include "common/json_text.h"
#include "federation/ca_folder.h"

namespace passerelle::federation {

namespace {

constexpr const char* kIssued = "issued";
constexpr const char* kRevoked = "revoked";

}  // namespace

std::vector<IssuedCertificate> IssuedIndex::read() const {
    std::vector<IssuedCertificate> certificates;
    if (!std::filesystem::exists(file_)) return certificates;
    std::istringstream lines(readWholeFile(file_, 64u << 20));
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
        const auto where = file_.string() + ":" + std::to_string(number);
        try {
            Poco::JSON::Parser parser;
            const auto object = parser.parse(line).extract<Poco::JSON::Object::Ptr>();
            const auto event = object->getValue<std::string>("event");
            const auto serial = object->getValue<std::string>("serial");
            if (event == kIssued) {
                IssuedCertificate c;
                c.serial = serial;
                c.party = object->getValue<std::string>("party");
                c.notBefore = object->getValue<std::string>("not_before");
                c.notAfter = object->getValue<std::string>("not_after");
                c.sha256 = object->getValue<std::string>("sha256");
                c.server = object->getValue<bool>("server");
                certificates.push_back(std::move(c));
            } else if (event == kRevoked) {
                const auto reason = revocationReasonNamed(object->getValue<std::string>("reason"));
                if (!reason) throw CaError(where + ": unknown revocation reason");
                bool found = false;
                for (auto& c : certificates) {
                    if (c.serial == serial) {
                        c.revocation = Revocation{*reason, object->getValue<std::string>("time")};
                        found = true;
                    }
                }
                if (!found)
                    throw CaError(where + ": revokes serial " + serial + ", which no earlier line issued");
            } else {
                throw CaError(where + ": unknown event '" + event + "'");
            }
        } catch (const CaError&) {
            throw;
        } catch (const Poco::Exception& e) {
            throw CaError(where + ": not a line the CA wrote (" + e.displayText() + ")");
        }
    }
    return certificates;
}

void IssuedIndex::recordIssued(const IssuedCertificate& certificate) const {
    Poco::JSON::Object line(Poco::JSON_PRESERVE_KEY_ORDER);
    line.set("event", kIssued);
    line.set("serial", certificate.serial);
    line.set("party", certificate.party);
    line.set("not_before", certificate.notBefore);
    line.set("not_after", certificate.notAfter);
    line.set("sha256", certificate.sha256);
    line.set("server", certificate.server);
    appendLine(file_, compactJson(line));
}

void IssuedIndex::recordRevoked(const std::string& serial, const Revocation& revocation) const {
    Poco::JSON::Object line(Poco::JSON_PRESERVE_KEY_ORDER);
    line.set("event", kRevoked);
    line.set("serial", serial);
    line.set("reason", std::string(toText(revocation.reason)));
    line.set("time", revocation.time);
    appendLine(file_, compactJson(line));
}

}  // namespace passerelle::federation
