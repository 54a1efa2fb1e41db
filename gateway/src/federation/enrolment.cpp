#include "federation/enrolment.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <unistd.h>

#include <cctype>

#include "common/clock.h"
#include "federation/ca_folder.h"
#include "federation/config_file_edit.h"
#include "federation/enrolment_answer.h"
#include "federation/openssl_handles.h"
#include "privacy/key_folder.h"
#include "privacy/party_keys.h"
#include "record/field_syntax.h"

namespace passerelle::federation {

namespace {

namespace fs = std::filesystem;

std::string requestPem(EVP_PKEY* key, const std::string& party) {
    CertificateRequest request(X509_REQ_new());
    X509_REQ_set_version(request.get(), 0);
    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(request.get()), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(party.c_str()), -1, -1, 0);
    if (X509_REQ_set_pubkey(request.get(), key) != 1 || X509_REQ_sign(request.get(), key, EVP_sha256()) <= 0) {
        throw EnrolmentError("the certificate signing request could not be made: " + takeOpenSslErrors());
    }
    return toPem(request.get());
}

std::string commonName(X509* certificate) {
    const X509_NAME* subject = X509_get_subject_name(certificate);
    const int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (at < 0) return {};
    unsigned char* text = nullptr;
    const int length = ASN1_STRING_to_UTF8(&text, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at)));
    std::string name = length < 0 ? std::string() : std::string(reinterpret_cast<char*>(text), length);
    OPENSSL_free(text);
    return name;
}

std::string normalisedHex(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == ':' || c == ' ') continue;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

// Verifies `leaf` up to `root` alone, with the other certificates as intermediates.
std::string chainProblem(X509* root, X509* leaf, const std::vector<Certificate>& intermediates) {
    X509_STORE* store = X509_STORE_new();
    X509_STORE_add_cert(store, root);
    STACK_OF(X509)* untrusted = sk_X509_new_null();
    for (const auto& c : intermediates) sk_X509_push(untrusted, c.get());
    X509_STORE_CTX* context = X509_STORE_CTX_new();
    X509_STORE_CTX_init(context, store, leaf, untrusted);
    X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_CLIENT);
    const bool ok = X509_verify_cert(context) == 1;
    const std::string problem = ok ? std::string() : X509_verify_cert_error_string(X509_STORE_CTX_get_error(context));
    X509_STORE_CTX_free(context);
    sk_X509_free(untrusted);
    X509_STORE_free(store);
    ERR_clear_error();
    return problem;
}

// A file the import writes: where, what, and whether it is there already.
struct PlannedFile {
    fs::path path;
    std::string text;
    unsigned mode = 0644;
};

}  // namespace

privacy::PublicKeys publicKeysFromText(std::string_view text, const std::string& what) {
    std::string folder = (fs::temp_directory_path() / "passerelle-keys-XXXXXX").string();
    if (::mkdtemp(folder.data()) == nullptr) throw EnrolmentError("no temporary folder to read " + what);
    const fs::path file = fs::path(folder) / "public.keys";
    std::error_code ec;
    try {
        writeNewFile(file, text, 0600);
        auto keys = privacy::readPublicKeysFile(file);
        fs::remove_all(folder, ec);
        return keys;
    } catch (const Error& e) {
        fs::remove_all(folder, ec);
        std::string why = e.what();
        // The temporary file's name tells the reader nothing.
        for (auto at = why.find(file.string()); at != std::string::npos; at = why.find(file.string()))
            why.replace(at, file.string().size(), what);
        throw EnrolmentError(what + " are not a public.keys text: " + why);
    }
}

WrittenRequest writeEnrolmentRequest(const config::GatewayConfig& config, const std::string& contact,
                                     const fs::path& out) {
    if (config.role != config::Role::Institution) {
        throw EnrolmentError(config.file.string() +
                             ": enrol is run by an institution (gateway.role = institution); the Region "
                             "issues its own certificate with passerelle ca issue");
    }
    // The Region checks it too; a typing error is better caught before the phone call.
    if (!record::isUaiShape(config.uai) || !record::uaiCheckLetterMatches(config.uai)) {
        throw EnrolmentError(config.file.string() + ": key 'gateway.uai' is not a UAI (7 digits and their check "
                                                    "letter): check it in the national directory (RAMSESE); "
                                                    "nothing was written");
    }
    if (fs::exists(out)) throw EnrolmentError(out.string() + " already exists; nothing was written (choose another --out)");
    WrittenRequest written{out, {}, false, false};

    const fs::path keyFile = config.tls.privateKey;
    PrivateKey key;
    if (fs::exists(keyFile)) {
        requireOwnerOnly(keyFile);
        key = privateKeyFromPem(readWholeFile(keyFile, 64 << 10));
        if (!key) throw KeyError(keyFile.string() + " ([tls] private_key) is not a PEM private key");
    }
    const fs::path publicFile = config.keysDir / privacy::KeyFolder::kPublicFile;
    if (fs::exists(publicFile)) {
        const auto keys = privacy::readPublicKeysFile(publicFile);
        if (keys.party != config.party) {
            throw EnrolmentError(publicFile.string() + " holds the keys of '" + keys.party + "', not of '" +
                                 config.party + "' (gateway.party); nothing was written");
        }
    }

    if (!key) {
        key = PrivateKey(EVP_EC_gen("P-256"));
        if (!key) throw EnrolmentError("no P-256 key could be made: " + takeOpenSslErrors());
        fs::create_directories(keyFile.parent_path());
        writeNewFile(keyFile, toPem(key.get()), 0600);
        written.madeTlsKey = true;
    }
    if (!fs::exists(publicFile)) {
        privacy::KeyFolder::generate(config.keysDir, config.party);
        written.madePartyKeys = true;
    }

    EnrolmentRequest request;
    request.party = config.party;
    request.uai = config.uai;
    request.name = config.name;
    request.contact = contact;
    request.csrPem = requestPem(key.get(), config.party);
    request.publicKeys = readWholeFile(publicFile, 64 << 10);
    request.created = formatUtc(SystemClock().now());
    const std::string text = request.toJson();
    writeNewFile(out, text, 0644);
    written.fingerprint = enrolmentFingerprint(text);
    return written;
}

ImportedAnswer importEnrolmentAnswer(const config::GatewayConfig& config, const ImportOptions& options) {
    const fs::path& file = options.answerFile;
    const auto refuse = [&file](const std::string& why) {
        return EnrolmentError(file.string() + ": " + why + "; nothing was written");
    };
    std::string text;
    try {
        text = readWholeFile(file, 4 << 20);
    } catch (const CaError& e) {
        throw EnrolmentError(e.what());
    }
    const SignedAnswer read = readSignedAnswer(text, file);
    const EnrolmentAnswer& answer = read.answer;
    if (answer.party != config.party) {
        throw refuse("the answer is for '" + answer.party + "', not for this gateway's party '" + config.party + "'");
    }

    const std::string pin = normalisedHex(options.rootSha256);
    if (pin.size() != 64 || pin.find_first_not_of("0123456789abcdef") != std::string::npos) {
        throw EnrolmentError("--root-sha256 takes the root certificate's SHA-256 from the convention's annex: "
                             "64 hex digits; nothing was written");
    }
    const auto trust = certificatesFromPem(answer.federationCa).certificates;
    if (trust.empty()) throw refuse("its federation_ca holds no certificate");
    X509* root = trust.front().get();
    if (sha256Fingerprint(root) != pin) {
        throw refuse("its root certificate's SHA-256 is " + sha256Fingerprint(root) +
                     ", not the one given with --root-sha256 (the convention's annex): do not use this answer, "
                     "call the Region");
    }
    const auto chain = certificatesFromPem(answer.certificateChain).certificates;
    if (chain.empty()) throw refuse("its certificate_chain holds no certificate");
    std::vector<Certificate> intermediates;
    for (std::size_t i = 1; i < chain.size(); ++i) intermediates.emplace_back(X509_dup(chain[i].get()));
    for (std::size_t i = 1; i < trust.size(); ++i) intermediates.emplace_back(X509_dup(trust[i].get()));
    if (const auto problem = chainProblem(root, chain.front().get(), intermediates); !problem.empty()) {
        throw refuse("its certificate does not verify to the pinned root (" + problem + ")");
    }
    if (commonName(chain.front().get()) != config.party) {
        throw refuse("its certificate's CN is not this gateway's party '" + config.party + "'");
    }
    requireOwnerOnly(config.tls.privateKey);
    const PrivateKey key = privateKeyFromPem(readWholeFile(config.tls.privateKey, 64 << 10));
    if (!key || X509_check_private_key(chain.front().get(), key.get()) != 1) {
        takeOpenSslErrors();
        throw refuse("its certificate is not for the key in " + config.tls.privateKey.string() +
                     " ([tls] private_key): was the key made again after passerelle enrol?");
    }
    const privacy::PublicKeys regionKeys = publicKeysFromText(answer.regionPublicKeys, file.string() + ": the Region's keys");
    if (regionKeys.party != answer.region) {
        throw refuse("the public keys it carries are of '" + regionKeys.party + "', not of the Region '" +
                     answer.region + "'");
    }
    if (!read.signedJson.verifies(regionKeys.sign)) {
        throw refuse("its signature does not verify with the Region's key: it was altered on the way");
    }
    if (!answer.regionUrl.starts_with("https://")) throw refuse("its region_url is not an https:// URL");

    // Where each file goes.
    std::vector<PlannedFile> plan = {{config.tls.certificate, answer.certificateChain, 0644},
                                     {config.tls.ca, answer.federationCa, 0644}};
    if (!config.tls.crls.empty()) plan.push_back({config.tls.crls[0], answer.rootCrl, 0644});
    if (config.tls.crls.size() > 1) plan.push_back({config.tls.crls[1], answer.crl, 0644});
    const auto peer = config.peers.find(answer.region);
    const bool addPeer = peer == config.peers.end();
    const fs::path regionKeysFile =
        addPeer ? config.file.parent_path() / (answer.region + ".public.keys") : peer->second.publicKeysFile;
    plan.push_back({regionKeysFile, answer.regionPublicKeys, 0644});

    ImportedAnswer imported{answer.region, {}, false, regionKeys.sign.id(), regionKeys.box.id()};
    std::vector<PlannedFile> toWrite;
    for (const auto& planned : plan) {
        if (fs::exists(planned.path)) {
            if (readWholeFile(planned.path, 16 << 20) == planned.text) {
                imported.written.push_back(planned.path);
                continue;
            }
            if (!options.replace) {
                throw refuse(planned.path.string() + " exists with other content (--replace overwrites it)");
            }
        }
        toWrite.push_back(planned);
    }
    for (const auto& planned : toWrite) {
        fs::create_directories(planned.path.parent_path());
        replaceFile(planned.path, planned.text, planned.mode);
        imported.written.push_back(planned.path);
    }
    if (addPeer) {
        appendSection(config.file, "peer." + answer.region,
                      "; the Region, added by passerelle enrol --import\nurl = " + answer.regionUrl +
                          "\npublic_keys = " + regionKeysFile.string() + "\n",
                      [](const fs::path& candidate) { config::GatewayConfig::load(candidate); });
        imported.addedRegionPeer = true;
    }
    return imported;
}

}  // namespace passerelle::federation
