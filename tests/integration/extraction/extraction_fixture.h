#pragma once
// Region-initiated extraction between real processes: the Region's `passerelle run`,
// an institution's `passerelle run` listening for extraction requests on a free
// loopback port, and requests sent either by `passerelle extract` or, to replay or
// alter them, built and signed in the test process with the Region's own key file
// through the project's libraries.

#include <Poco/JSON/Array.h>

#include <chrono>
#include <functional>
#include <string_view>

#include "../support/exchange_fixture.h"
#include "config/gateway_config.h"
#include "privacy/party_keys.h"
#include "send/extraction.h"
#include "transport/exchange_client.h"

namespace passerelle::integration {

inline constexpr const char* kInstitution = "univ-montpellier";
// A CA-issued certificate of another institution: valid TLS, but not the Region.
inline constexpr const char* kOtherInstitution = "univ-toulouse3";

struct ExtractionSetup {
    std::string extractPurposes = kSurveyPurpose;  // the institution's peer.region-occitanie.extract_purposes
    bool statisticsJob = true;                     // false: no job sends region-statistics
    int rows = 400;
};

// Inserts `line` just after the line `header` of an INI file.
inline void insertAfter(const fs::path& ini, const std::string& header, const std::string& line) {
    std::string text = readFile(ini);
    const auto at = text.find(header + "\n");
    if (at == std::string::npos) throw std::runtime_error("no " + header + " in " + ini.string());
    text.insert(at + header.size() + 1, line + "\n");
    writeFile(ini, text);
}

class ExtractionTest : public ExchangeTest {
protected:
    void startExchange(const ExtractionSetup& setup = {}) {
        makePki({kRegion, kInstitution, kOtherInstitution});
        writeRegionConfig({{kInstitution, std::string(kSurveyPurpose) + ", " + kStatisticsPurpose}});
        keysInit(regionConfig(), "region");
        exportFile_ = makeExport(kInstitution, setup.rows, 0, 11);
        inst_ = writeInstitutionConfig(kInstitution, kInstitution, 0, exportFile_);
        keysInit(inst_.config, kInstitution);
        ASSERT_FALSE(HasFailure());
        region_ = startRegion();
        ASSERT_TRUE(region_);
        inst_ = writeInstitutionConfig(kInstitution, kInstitution, region_->port(), exportFile_);
        insertAfter(inst_.config, "[gateway]", "listen = 127.0.0.1:0");
        insertAfter(inst_.config, std::string("[peer.") + kRegion + "]",
                    "extract_purposes = " + setup.extractPurposes);
        if (!setup.statisticsJob) dropSection(inst_.config, "[job.statistics]");
        startInstitution();
        ASSERT_TRUE(institution_) << "the institution's gateway did not start";
        setRegionUrlFor(institutionPort_);
    }

    // `passerelle run` for the institution; reads the port of its extraction listener.
    void startInstitution(const std::string& logName = "institution") {
        institution_ = std::make_unique<ChildProcess>(
            std::vector<std::string>{kPasserelle.string(), "run", "--config", inst_.config.string()},
            logs() / logName);
        institutionPort_ = listeningPort(*institution_);
        if (institutionPort_ == 0) {
            ADD_FAILURE() << "the institution's gateway did not listen\n--- stdout ---\n"
                          << institution_->out() << "\n--- stderr ---\n"
                          << institution_->err();
            institution_.reset();
        }
    }

    // The port in the "listening on https://127.0.0.1:PORT ..." line a gateway prints
    // once it listens; 0 when it stopped, or said nothing within 15 s.
    static int listeningPort(ChildProcess& process) {
        static constexpr std::string_view kSaid = "listening on https://127.0.0.1:";
        int port = 0;
        waitUntil(
            [&] {
                const std::string out = process.out();
                const auto at = out.find(kSaid);
                const auto end =
                    at == std::string::npos ? at : out.find_first_not_of("0123456789", at + kSaid.size());
                if (end != std::string::npos && end > at + kSaid.size()) {  // the whole number is written
                    port = std::stoi(out.substr(at + kSaid.size(), end - at - kSaid.size()));
                }
                return port != 0 || !process.running();
            },
            15s);
        return port;
    }

    void stopInstitution() {
        if (institution_) stopGateway(*institution_);
        institution_.reset();
    }

    // The Region's [peer.univ-montpellier] url (read by `extract`, not by the running Region).
    void setRegionUrlFor(int port) {
        std::string text = readFile(regionConfig());
        text = std::regex_replace(text, std::regex("\nurl = [^\n]*"), "");
        writeFile(regionConfig(), text);
        insertAfter(regionConfig(), std::string("[peer.") + kInstitution + "]",
                    "url = https://localhost:" + std::to_string(port));
    }

    CommandResult extract(const std::vector<std::string>& args, const std::string& logName,
                          std::chrono::milliseconds timeout = 60s) {
        std::vector<std::string> argv = {"extract", "--config", regionConfig().string(), "--institution",
                                         kInstitution};
        argv.insert(argv.end(), args.begin(), args.end());
        return passerelle(argv, logName, timeout);
    }

    // A request as `extract` makes it, signed with the key in `signerKeys` (the Region's
    // by default); `amend` may change it before it is signed.
    exchange::SignedExtractionRequest signedRequest(
        const std::function<void(exchange::ExtractionRequest&)>& amend = {},
        std::optional<fs::path> signerKeys = {}) {
        const auto keys = privacy::PartyKeys::load(signerKeys.value_or(regionDir() / "keys"));
        auto request = exchange::ExtractionRequest::fresh(kRegion, kInstitution, kSurveyPurpose, "2023-01-01",
                                                          "2023-12-31", keys.publicKeys().sign.id(),
                                                          std::chrono::system_clock::now());
        if (amend) amend(request);
        return exchange::signExtractionRequest(request, keys);
    }

    // POST /v1/extractions over mutual TLS with `party`'s certificate.
    transport::HttpResult post(const std::string& body, const std::string& party = kRegion,
                               const std::string& contentType = "application/json") {
        const config::TlsSettings tls{pki() / (party + ".crt"), pki() / (party + ".key"), pki() / "ca.crt", {}};
        const transport::ExchangeClient client(tls, "https://localhost:" + std::to_string(institutionPort_),
                                               "", std::chrono::seconds(60));
        return client.post("/v1/extractions", contentType, body.size(),
                           [&body](std::ostream& out) { out << body; });
    }

    // The error code of a JSON error answer.
    std::string errorCode(const transport::HttpResult& result) {
        return parseJson(result.body)->optValue<std::string>("error", "");
    }

    // `passerelle audit list --json` on one side, for one operation.
    std::vector<Poco::JSON::Object::Ptr> ledgerEntries(const fs::path& config, const std::string& operation) {
        const auto r =
            passerelle({"audit", "list", "--config", config.string(), "--operation", operation, "--json"},
                       config.stem().string() + ".audit-list");
        EXPECT_EQ(r.exitCode, 0) << r;
        std::vector<Poco::JSON::Object::Ptr> entries;
        try {
            const auto list = Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Array::Ptr>();
            for (std::size_t i = 0; i < list->size(); ++i)
                entries.push_back(list->getObject(static_cast<unsigned>(i)));
        } catch (const Poco::Exception& e) {
            ADD_FAILURE() << "audit list --json is not a JSON array: " << e.displayText();
        }
        return entries;
    }

    // The institution's extraction-requested entries denied with `code`.
    std::vector<Poco::JSON::Object::Ptr> deniedEntries(const std::string& code) {
        std::vector<Poco::JSON::Object::Ptr> denied;
        for (const auto& e : ledgerEntries(inst_.config, "extraction-requested")) {
            if (e->getValue<std::string>("outcome") == "denied" &&
                e->getValue<std::string>("reason").find(code + ": ") != std::string::npos) {
                denied.push_back(e);
            }
        }
        return denied;
    }

    void TearDown() override {
        if (institution_) stopGateway(*institution_);
        if (region_) stopGateway(region_->process());
        ExchangeTest::TearDown();
    }

    std::string logsOfBoth() const {
        return "\n--- institution log ---\n" +
               (institution_ ? institution_->err() : std::string("(stopped)")) + "\n--- region log ---\n" +
               (region_ ? region_->log() : std::string("(stopped)"));
    }

    fs::path exportFile_;
    Institution inst_;
    std::unique_ptr<RunningRegion> region_;
    std::unique_ptr<ChildProcess> institution_;
    int institutionPort_ = 0;

private:
    // Removes an INI section, up to the next one.
    static void dropSection(const fs::path& ini, const std::string& header) {
        std::string text = readFile(ini);
        const auto start = text.find(header + "\n");
        if (start == std::string::npos) return;
        const auto next = text.find("\n[", start + header.size());
        text.erase(start, next == std::string::npos ? std::string::npos : next + 1 - start);
        writeFile(ini, text);
    }
};

}  // namespace passerelle::integration
