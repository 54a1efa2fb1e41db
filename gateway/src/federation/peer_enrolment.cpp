#include "federation/peer_enrolment.h"

#include <algorithm>

#include "common/clock.h"
#include "federation/ca_folder.h"
#include "federation/certificate_authority.h"
#include "federation/certificate_request.h"
#include "federation/config_file_edit.h"
#include "federation/enrolment.h"
#include "federation/enrolment_answer.h"
#include "federation/federation_ca.h"
#include "federation/openssl_handles.h"
#include "ledger/ledger.h"
#include "party/gateway.h"
#include "privacy/key_folder.h"
#include "privacy/public_keys.h"
#include "record/field_syntax.h"

namespace passerelle::federation {

namespace {

namespace fs = std::filesystem;

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

}  // namespace

AddedPeer addEnrolledPeer(const config::GatewayConfig& config, const PeerAddition& addition) {
    const fs::path& file = addition.requestFile;
    const auto refuse = [&file](const std::string& why) { return EnrolmentRequest::refusal(file, why); };
    if (config.role != config::Role::Region) {
        throw EnrolmentError(config.file.string() + ": peers add is run by the Region (gateway.role = region)");
    }
    const config::CaSettings& ca = caSettings(config);
    if (ca.membersFile.empty()) {
        throw ConfigError(config.file.string() + ": key 'ca.members' is missing: peers add enrols only the "
                                                 "federation's members, listed in that file (docs/federation.md)");
    }
    const std::string regionUrl = addition.regionUrl.value_or(ca.publicUrl);
    if (regionUrl.empty()) {
        throw ConfigError(config.file.string() + ": neither [ca] public_url nor --region-url gives the URL "
                                                 "institutions send their batches to");
    }
    if (!regionUrl.starts_with("https://")) {
        throw EnrolmentError("--region-url must be an https:// URL; nothing was changed");
    }
    for (const auto& name : addition.extraNames) subjectAltNameEntry(name);  // CaError for a bad --san
    if (addition.url && !addition.url->starts_with("https://")) {
        throw EnrolmentError("--url must be an https:// URL; nothing was changed");
    }
    if (fs::exists(addition.answerFile)) {
        throw EnrolmentError(addition.answerFile.string() +
                             " already exists; nothing was changed (choose another --out)");
    }

    // 1. The file, whole; 2. the fingerprint read over the phone.
    std::string bytes;
    try {
        bytes = readWholeFile(file, 256 << 10);
    } catch (const CaError& e) {
        throw EnrolmentError(std::string(e.what()) + "; nothing was changed");
    }
    const EnrolmentRequest request = EnrolmentRequest::parse(bytes, file);
    if (!fingerprintMatches(addition.fingerprint, enrolmentFingerprint(bytes))) {
        throw refuse("its fingerprint is not the one given with --fingerprint: the file is not the one the "
                     "institution made (ask it to read its fingerprint again, or to send the file again)");
    }
    // 3. The UAI; 4. a member's, and this party's.
    if (!record::isUaiShape(request.uai)) throw refuse("its UAI is not 7 digits and a capital letter");
    if (!record::uaiCheckLetterMatches(request.uai)) {
        throw refuse("its UAI's check letter does not match its 7 digits (a typing error in gateway.uai?)");
    }
    const auto member = std::find_if(ca.members.begin(), ca.members.end(),
                                     [&](const config::FederationMember& m) { return m.uai == request.uai; });
    if (member == ca.members.end()) {
        throw refuse("unknown UAI " + request.uai + ": it is not in the members list " + ca.membersFile.string() +
                     " ([ca] members)");
    }
    if (member->party != request.party) {
        throw refuse("UAI " + request.uai + " belongs to '" + member->party + "' in " + ca.membersFile.string() +
                     ", not to the request's party '" + request.party + "'");
    }
    // 5. The CSR, and its one CN.
    const CheckedRequest csr = checkRequest(request.csrPem, file);
    if (csr.party.str() != request.party) {
        throw refuse("the CSR's CN '" + csr.party.str() + "' differs from the request's party '" + request.party +
                     "'");
    }
    // 6. The public keys, the party's.
    const privacy::PublicKeys keys = publicKeysFromText(request.publicKeys, file.string() + ": the request's keys");
    if (keys.party != request.party) {
        throw refuse("its public keys are of '" + keys.party + "', not of '" + request.party + "'");
    }
    std::vector<std::string> purposes = addition.acceptPurposes;
    if (purposes.empty()) {
        for (const auto& [id, purpose] : config.purposes) purposes.push_back(id);
    }
    for (const auto& id : purposes) {
        if (!config.purposes.contains(id)) {
            throw EnrolmentError("--accept: no [purpose." + id + "] section in " + config.file.string() +
                                 "; nothing was changed");
        }
    }
    // 8. Not a peer yet; its key file free (or holding these very keys).
    const bool enrolled = config.peers.contains(request.party);
    if (enrolled && !addition.replace) {
        throw EnrolmentError(config.file.string() + " already has a [peer." + request.party +
                             "] section: the party is enrolled (--replace enrols it again, replacing the "
                             "section). Nothing was changed");
    }
    const fs::path keysFile = ca.peerKeysFolder / (request.party + ".keys");
    const bool keysThere = fs::exists(keysFile);
    const bool keysSame = keysThere && readWholeFile(keysFile, 64 << 10) == request.publicKeys;
    if (keysThere && !keysSame && !addition.replace) {
        throw EnrolmentError(keysFile.string() + " exists with other keys; nothing was changed (--replace "
                                                 "overwrites it)");
    }
    std::string previousSerial;
    if (enrolled) {
        for (const auto& issued : listCertificates(config)) {
            if (issued.sha256 == config.peers.at(request.party).certificateSha256) previousSerial = issued.serial;
        }
    }

    auto gateway = exchange::Gateway::open(config.file);
    SystemClock clock;
    CertificateAuthority authority(ca, gateway->ledger(), clock);
    // 7. The issuing CA still valid.
    authority.requireIssuingValid();

    IssueRequest issue;
    issue.csrFile = file;
    issue.server = addition.server;
    issue.extraNames = addition.extraNames;

    const IssuedChain chain = authority.issue(issue, request.csrPem);
    if (!keysSame) {
        fs::create_directories(ca.peerKeysFolder);
        replaceFile(keysFile, request.publicKeys, 0644);
    }
    std::string body = "; " + (member->name.empty() ? request.party : member->name) + " (UAI " + request.uai +
                       "), enrolled " + formatUtc(clock.now()) + ", certificate " + chain.certificate.serial +
                       "\n";
    // Re-enrolled without --url, the party keeps the URL it had.
    const std::string url =
        addition.url ? *addition.url : (enrolled ? config.peers.at(request.party).url : std::string());
    if (!url.empty()) body += "url = " + url + "\n";
    body += "public_keys = " + keysFile.string() + "\naccept_purposes = " + joined(purposes) +
            "\ncertificate_sha256 = " + chain.certificate.sha256 + "\n";
    const auto loads = [](const fs::path& candidate) { config::GatewayConfig::load(candidate); };
    if (enrolled) {
        replaceSection(config.file, "peer." + request.party, body, loads);
    } else {
        appendSection(config.file, "peer." + request.party, body, loads);
    }
    auto entry = ledger::LedgerEntry::of(ledger::Operation::PeerEnrolled, ledger::Outcome::Recorded, "operator",
                                         "UAI " + request.uai + "; certificate " + chain.certificate.serial +
                                             "; accept_purposes " + joined(purposes) +
                                             (enrolled ? "; replaces [peer." + request.party + "]" +
                                                             (previousSerial.empty() ? std::string()
                                                                                     : " of certificate " + previousSerial)
                                                       : std::string()));
    entry.counterpart = request.party;
    gateway->ledger().append(std::move(entry));

    // The answer: the chain, the CA's files, the Region's keys, signed.
    const CaFolder folder{ca.folder};
    if (!fs::exists(folder.defaultCrl())) replaceFile(folder.defaultCrl(), authority.makeCrl().pem, 0644);
    EnrolmentAnswer answer;
    answer.party = request.party;
    answer.certificateChain = chain.pem;
    answer.federationCa = readWholeFile(folder.trustFile());
    answer.rootCrl = readWholeFile(folder.rootCrl());
    answer.crl = readWholeFile(folder.defaultCrl());
    answer.region = config.party;
    // With every retired key, as `keys export-public` gives them (a folder rotated before key
    // history was recorded lists its older keys in previous/ only).
    answer.regionPublicKeys = privacy::publicKeysText(privacy::KeyFolder::publicKeysWithHistory(config.keysDir));
    answer.regionUrl = regionUrl;
    answer.rootSha256 = sha256Fingerprint(certificateFromPem(readWholeFile(folder.rootCertificate())).get());
    answer.created = formatUtc(clock.now());
    writeNewFile(addition.answerFile, signedAnswerText(answer, gateway->keys()), 0644);

    return AddedPeer{request.party, chain.certificate.serial, chain.certificate.sha256, chain.certificate.notAfter,
                     keysFile, purposes, enrolled, previousSerial};
}

}  // namespace passerelle::federation
