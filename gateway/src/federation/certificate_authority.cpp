#include "federation/certificate_authority.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <set>

#include "common/file_lock.h"
#include "federation/certificate_request.h"
#include "federation/openssl_handles.h"
#include "ledger/entry.h"

namespace passerelle::federation {

namespace {

constexpr unsigned kKeyMode = 0600;
constexpr unsigned kCertificateMode = 0644;
constexpr int kSerialBytes = 16;

std::time_t unixTime(const Clock& clock) { return std::chrono::system_clock::to_time_t(clock.now()); }

[[noreturn]] void fail(const std::string& what) {
    throw CaError(what + " (OpenSSL: " + takeOpenSslErrors() + ")");
}

void check(int result, const std::string& what) {
    if (result != 1) fail(what);
}

PrivateKey generateKey(KeyType type) {
    PrivateKey key(type == KeyType::P256 ? EVP_EC_gen("P-256")
                                         : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!key) fail("cannot generate a " + std::string(toText(type)) + " key");
    return key;
}

// Ed25519 signs the message itself (no digest); the others SHA-256.
const EVP_MD* digestFor(EVP_PKEY* key) { return EVP_PKEY_is_a(key, "ED25519") ? nullptr : EVP_sha256(); }

Integer randomSerial(const std::set<std::string>& taken) {
    for (;;) {
        std::array<unsigned char, kSerialBytes> bytes{};
        check(RAND_bytes(bytes.data(), kSerialBytes), "cannot draw a serial number");
        BigNumber number(BN_bin2bn(bytes.data(), kSerialBytes, nullptr));  // unsigned: always positive
        if (!number || BN_is_zero(number.get())) continue;
        Integer serial(BN_to_ASN1_INTEGER(number.get(), nullptr));
        if (!serial) fail("cannot encode a serial number");
        if (!taken.contains(serialHex(serial.get()))) return serial;
    }
}

Integer serialFromHex(const std::string& hex) {
    BIGNUM* raw = nullptr;
    if (hex.empty() || BN_hex2bn(&raw, hex.c_str()) != static_cast<int>(hex.size())) {
        BN_free(raw);
        throw CaError("'" + hex.substr(0, 64) + "' is not a serial number in hexadecimal");
    }
    BigNumber number(raw);
    return Integer(BN_to_ASN1_INTEGER(number.get(), nullptr));
}

Name subjectName(const std::string& commonName, const std::string& organisation) {
    Name name(X509_NAME_new());
    auto add = [&](const char* field, const std::string& value) {
        check(X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                         reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0),
              std::string("cannot set the subject's ") + field);
    };
    add("CN", commonName);
    if (!organisation.empty()) add("O", organisation);
    return name;
}

void addExtension(X509* certificate, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
    Extension extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    if (!extension) fail("cannot make the extension " + std::string(OBJ_nid2sn(nid)) + " = " + value);
    check(X509_add_ext(certificate, extension.get(), -1), "cannot add an extension");
}

// A certificate with its serial, names, key and validity set; extensions and signature follow.
Certificate certificateFrame(const Integer& serial, X509_NAME* subject, X509_NAME* issuer, EVP_PKEY* key,
                             std::time_t from, std::time_t until) {
    Certificate certificate(X509_new());
    check(X509_set_version(certificate.get(), X509_VERSION_3), "cannot set the version");
    check(X509_set_serialNumber(certificate.get(), serial.get()), "cannot set the serial");
    check(X509_set_subject_name(certificate.get(), subject), "cannot set the subject");
    check(X509_set_issuer_name(certificate.get(), issuer), "cannot set the issuer");
    check(X509_set_pubkey(certificate.get(), key), "cannot set the key");
    Time notBefore(ASN1_TIME_set(nullptr, from));
    Time notAfter(ASN1_TIME_set(nullptr, until));
    check(X509_set1_notBefore(certificate.get(), notBefore.get()), "cannot set notBefore");
    check(X509_set1_notAfter(certificate.get(), notAfter.get()), "cannot set notAfter");
    return certificate;
}

void sign(X509* certificate, EVP_PKEY* key) {
    if (X509_sign(certificate, key, digestFor(key)) <= 0) fail("cannot sign the certificate");
}

std::time_t timeOf(const ASN1_TIME* time) {
    std::tm parts{};
    ASN1_TIME_to_tm(time, &parts);
    return ::timegm(&parts);
}

struct RevokedSerial {
    std::string serial;
    std::time_t when;
    RevocationReason reason;
};

// A v2 CRL of `issuer`, signed by its key, with an authorityKeyIdentifier and a CRL number.
RevocationList signedCrl(X509* issuer, EVP_PKEY* key, const std::vector<RevokedSerial>& revoked,
                         std::time_t from, std::time_t until, std::uint64_t number) {
    RevocationList crl(X509_CRL_new());
    check(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2), "cannot set the CRL's version");
    check(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer)), "cannot set the CRL's issuer");
    Time lastUpdate(ASN1_TIME_set(nullptr, from));
    Time nextUpdate(ASN1_TIME_set(nullptr, until));
    check(X509_CRL_set1_lastUpdate(crl.get(), lastUpdate.get()), "cannot set lastUpdate");
    check(X509_CRL_set1_nextUpdate(crl.get(), nextUpdate.get()), "cannot set nextUpdate");
    for (const auto& r : revoked) {
        RevokedEntry entry(X509_REVOKED_new());
        const Integer serial = serialFromHex(r.serial);
        check(X509_REVOKED_set_serialNumber(entry.get(), serial.get()), "cannot set a revoked serial");
        Time date(ASN1_TIME_set(nullptr, r.when));
        check(X509_REVOKED_set_revocationDate(entry.get(), date.get()), "cannot set a revocation date");
        // RFC 5280 5.3.1: the reason code is absent rather than "unspecified".
        if (r.reason != RevocationReason::Unspecified) {
            Enumerated code(ASN1_ENUMERATED_new());
            check(ASN1_ENUMERATED_set(code.get(), crlReasonCode(r.reason)), "cannot encode a reason");
            check(X509_REVOKED_add1_ext_i2d(entry.get(), NID_crl_reason, code.get(), 0, 0),
                  "cannot add a reason");
        }
        check(X509_CRL_add0_revoked(crl.get(), entry.release()), "cannot add a revoked serial");
    }
    X509_CRL_sort(crl.get());

    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, nullptr, nullptr, crl.get(), 0);
    Extension authorityKey(
        X509V3_EXT_conf_nid(nullptr, &context, NID_authority_key_identifier, "keyid:always"));
    if (!authorityKey) fail("cannot make the CRL's authorityKeyIdentifier");
    check(X509_CRL_add_ext(crl.get(), authorityKey.get(), -1), "cannot add the CRL's authorityKeyIdentifier");
    Integer crlNumber(ASN1_INTEGER_new());
    check(ASN1_INTEGER_set_uint64(crlNumber.get(), number), "cannot encode the CRL number");
    check(X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, crlNumber.get(), 0, 0),
          "cannot add the CRL number");
    if (X509_CRL_sign(crl.get(), key, digestFor(key)) <= 0) fail("cannot sign the CRL");
    return crl;
}

std::string usages(bool server) { return server ? "clientAuth, serverAuth" : "clientAuth"; }

}  // namespace

KeyType parseKeyType(std::string_view text) {
    if (text == "p256") return KeyType::P256;
    if (text == "ed25519") return KeyType::Ed25519;
    throw CaError("--key-type is p256 or ed25519");
}

std::string_view toText(KeyType type) { return type == KeyType::P256 ? "p256" : "ed25519"; }

InitialisedCa CertificateAuthority::initialise(const CaFolder& folder, KeyType type, const CaOperator& by,
                                               const Clock& clock) {
    std::error_code error;
    std::filesystem::create_directories(folder.dir, error);
    if (error) throw CaError("cannot create " + folder.dir.string() + ": " + error.message());
    if (folder.holdsCa()) {
        throw CaError(folder.dir.string() +
                      " already holds a CA (root.crt, issuing.key…); nothing was changed. "
                      "Use another [ca] folder to make a new one");
    }
    std::filesystem::permissions(folder.dir, std::filesystem::perms::owner_all, error);
    if (error) throw CaError("cannot set " + folder.dir.string() + " to mode 0700: " + error.message());

    const std::time_t now = unixTime(clock);
    const PrivateKey rootKey = generateKey(type);
    const PrivateKey issuingKey = generateKey(type);
    const Name rootName = subjectName(by.party + " federation root CA", by.organisation);
    const Name issuingName = subjectName(by.party + " federation issuing CA", by.organisation);

    Certificate root = certificateFrame(randomSerial({}), rootName.get(), rootName.get(), rootKey.get(), now,
                                        now + std::time_t{kRootDays} * 86'400);
    addExtension(root.get(), root.get(), NID_basic_constraints, "critical,CA:TRUE");
    addExtension(root.get(), root.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    addExtension(root.get(), root.get(), NID_subject_key_identifier, "hash");
    addExtension(root.get(), root.get(), NID_authority_key_identifier, "keyid:always");
    sign(root.get(), rootKey.get());

    const std::time_t issuingUntil =
        std::min(now + std::time_t{kIssuingDays} * 86'400, timeOf(X509_get0_notAfter(root.get())));
    Certificate issuing =
        certificateFrame(randomSerial({serialHex(X509_get0_serialNumber(root.get()))}), issuingName.get(),
                         rootName.get(), issuingKey.get(), now, issuingUntil);
    addExtension(issuing.get(), root.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    addExtension(issuing.get(), root.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    addExtension(issuing.get(), root.get(), NID_subject_key_identifier, "hash");
    addExtension(issuing.get(), root.get(), NID_authority_key_identifier, "keyid:always");
    sign(issuing.get(), rootKey.get());

    writeNewFile(folder.rootKey(), toPem(rootKey.get()), kKeyMode);
    writeNewFile(folder.issuingKey(), toPem(issuingKey.get()), kKeyMode);
    // The root's own list (empty): a gateway whose tls.ca holds the issuing CA checks
    // the whole chain for revocation (CRL_CHECK_ALL), and the root key is offline
    // afterwards, so it lasts as long as the issuing certificate.
    const RevocationList rootCrl = signedCrl(root.get(), rootKey.get(), {}, now, issuingUntil, 1);
    writeNewFile(folder.rootCertificate(), toPem(root.get()), kCertificateMode);
    writeNewFile(folder.issuingCertificate(), toPem(issuing.get()), kCertificateMode);
    writeNewFile(folder.trustFile(), toPem(root.get()) + toPem(issuing.get()), kCertificateMode);
    writeNewFile(folder.rootCrl(), toPem(rootCrl.get()), kCertificateMode);
    std::filesystem::create_directory(folder.issuedDir(), error);
    std::filesystem::permissions(folder.issuedDir(), std::filesystem::perms::owner_all, error);

    return {serialHex(X509_get0_serialNumber(root.get())),
            sha256Fingerprint(root.get()),
            utcText(X509_get0_notAfter(root.get())),
            serialHex(X509_get0_serialNumber(issuing.get())),
            sha256Fingerprint(issuing.get()),
            utcText(X509_get0_notAfter(issuing.get()))};
}

// The issuing key and certificate, read once.
class CertificateAuthority::Keys {
public:
    PrivateKey key;
    Certificate certificate;
};

CertificateAuthority::CertificateAuthority(const config::CaSettings& settings, ledger::LedgerAppender& ledger,
                                           const Clock& clock)
    : folder_{settings.folder},
      settings_(settings),
      ledger_(ledger),
      clock_(clock),
      keys_(std::make_unique<Keys>()) {
    if (!std::filesystem::exists(folder_.issuingCertificate())) {
        throw CaError(folder_.issuingCertificate().string() +
                      " does not exist: run passerelle ca init first, or check [ca] folder");
    }
    keys_->certificate = certificateFromPem(readWholeFile(folder_.issuingCertificate()));
    if (!keys_->certificate)
        throw CaError(folder_.issuingCertificate().string() + " is not a PEM certificate");
    requireOwnerOnly(folder_.issuingKey());
    keys_->key = privateKeyFromPem(readWholeFile(folder_.issuingKey()));
    if (!keys_->key) throw KeyError(folder_.issuingKey().string() + " is not a PEM private key");
    if (X509_check_private_key(keys_->certificate.get(), keys_->key.get()) != 1) {
        takeOpenSslErrors();
        throw KeyError(folder_.issuingKey().string() + " is not the key of " +
                       folder_.issuingCertificate().string());
    }
}

CertificateAuthority::~CertificateAuthority() = default;

std::vector<IssuedCertificate> CertificateAuthority::issued() const {
    return IssuedIndex(folder_.index()).read();
}

IssuedChain CertificateAuthority::issue(const IssueRequest& request) {
    return issue(request, readWholeFile(request.csrFile, 64 << 10));
}

IssuedChain CertificateAuthority::issue(const IssueRequest& request, std::string_view csrPem) {
    const CheckedRequest checked = checkRequest(csrPem, request.csrFile);
    std::string names = "DNS:" + checked.party.str();
    for (const auto& extra : request.extraNames) names += "," + subjectAltNameEntry(extra);

    X509* issuing = keys_->certificate.get();
    const std::time_t now = unixTime(clock_);
    const std::time_t issuingEnd = timeOf(X509_get0_notAfter(issuing));
    requireIssuingValid();
    // A certificate never outlives the certificate that signs it.
    const std::time_t until = std::min(now + std::time_t{settings_.certificateDays} * 86'400, issuingEnd);

    const auto lock = FileLock::tryAcquire(folder_.lock());
    if (!lock) throw CaError(folder_.lock().string() + " is held: another ca command is running; try again");
    const IssuedIndex index(folder_.index());
    std::set<std::string> taken;
    for (const auto& c : index.read()) taken.insert(c.serial);

    const Name subject = subjectName(checked.party.str(), {});
    Certificate leaf = certificateFrame(randomSerial(taken), subject.get(), X509_get_subject_name(issuing),
                                        checked.publicKey.get(), now, until);
    addExtension(leaf.get(), issuing, NID_basic_constraints, "critical,CA:FALSE");
    addExtension(leaf.get(), issuing, NID_key_usage, "critical,digitalSignature");
    addExtension(leaf.get(), issuing, NID_ext_key_usage,
                 request.server ? "clientAuth,serverAuth" : "clientAuth");
    addExtension(leaf.get(), issuing, NID_subject_alt_name, names);
    addExtension(leaf.get(), issuing, NID_subject_key_identifier, "hash");
    addExtension(leaf.get(), issuing, NID_authority_key_identifier, "keyid:always");
    sign(leaf.get(), keys_->key.get());

    IssuedCertificate record;
    record.serial = serialHex(X509_get0_serialNumber(leaf.get()));
    record.party = checked.party.str();
    record.notBefore = utcText(X509_get0_notBefore(leaf.get()));
    record.notAfter = utcText(X509_get0_notAfter(leaf.get()));
    record.sha256 = sha256Fingerprint(leaf.get());
    record.server = request.server;

    const std::string leafPem = toPem(leaf.get());
    writeNewFile(folder_.issuedDir() / (record.serial + ".crt"), leafPem, kCertificateMode);
    index.recordIssued(record);
    // After the index: a certificate the ledger names can always be found and revoked.
    auto entry =
        ledger::LedgerEntry::of(ledger::Operation::CertificateIssued, ledger::Outcome::Issued, "operator",
                                "serial " + record.serial + "; sha256 " + record.sha256 + "; not after " +
                                    record.notAfter + "; " + usages(record.server));
    entry.counterpart = record.party;
    ledger_.append(std::move(entry));
    return {record, leafPem + toPem(issuing)};
}

void CertificateAuthority::requireIssuingValid() const {
    X509* issuing = keys_->certificate.get();
    if (timeOf(X509_get0_notAfter(issuing)) <= unixTime(clock_)) {
        throw CaError("the issuing certificate " + folder_.issuingCertificate().string() + " expired on " +
                      utcText(X509_get0_notAfter(issuing)) +
                      ": nothing was issued; a new issuing certificate must be made with the root key");
    }
}

std::vector<IssuedCertificate> CertificateAuthority::revoke(const RevocationTarget& target,
                                                            RevocationReason reason) {
    const auto lock = FileLock::tryAcquire(folder_.lock());
    if (!lock) throw CaError(folder_.lock().string() + " is held: another ca command is running; try again");
    const IssuedIndex index(folder_.index());
    const auto all = index.read();
    std::vector<IssuedCertificate> chosen;
    if (!target.serial.empty()) {
        const std::string serial = serialHex(serialFromHex(target.serial).get());
        const auto it =
            std::find_if(all.begin(), all.end(), [&](const auto& c) { return c.serial == serial; });
        if (it == all.end()) {
            throw CaError("this CA (" + folder_.index().string() + ") issued no certificate with serial " +
                          serial);
        }
        if (it->revocation) {
            throw CaError("the certificate with serial " + serial + " was already revoked on " +
                          it->revocation->time + " (" + std::string(toText(it->revocation->reason)) + ")");
        }
        chosen.push_back(*it);
    } else {
        const PartyId party = PartyId::parse(target.party);
        for (const auto& c : all) {
            if (c.party == party.str() && !c.revocation) chosen.push_back(c);
        }
        if (chosen.empty()) {
            throw CaError("party " + party.str() + " holds no unrevoked certificate of this CA (" +
                          folder_.index().string() + ")");
        }
    }
    const std::string now = formatUtc(clock_.now());
    for (auto& c : chosen) {
        c.revocation = Revocation{reason, now};
        index.recordRevoked(c.serial, *c.revocation);
        auto entry = ledger::LedgerEntry::of(
            ledger::Operation::CertificateRevoked, ledger::Outcome::Revoked, "operator",
            "serial " + c.serial + "; sha256 " + c.sha256 + "; reason " + std::string(toText(reason)));
        entry.counterpart = c.party;
        ledger_.append(std::move(entry));
    }
    return chosen;
}

PublishedCrl CertificateAuthority::makeCrl() {
    const auto lock = FileLock::tryAcquire(folder_.lock());
    if (!lock) throw CaError(folder_.lock().string() + " is held: another ca command is running; try again");
    X509* issuing = keys_->certificate.get();
    const std::time_t now = unixTime(clock_);
    if (timeOf(X509_get0_notAfter(issuing)) <= now) {
        throw CaError("the issuing certificate " + folder_.issuingCertificate().string() + " expired on " +
                      utcText(X509_get0_notAfter(issuing)) + ": a CRL it signs would not verify");
    }
    std::uint64_t number = 1;
    if (std::filesystem::exists(folder_.crlNumber())) {
        const std::string text = readWholeFile(folder_.crlNumber(), 64);
        try {
            number = std::stoull(text) + 1;
        } catch (const std::exception&) {
            throw CaError(folder_.crlNumber().string() + " does not hold a number: restore it from a backup");
        }
    }

    std::vector<RevokedSerial> revoked;
    for (const auto& c : IssuedIndex(folder_.index()).read()) {
        if (!c.revocation) continue;
        const auto when = parseUtc(c.revocation->time);
        revoked.push_back(
            {c.serial, when ? std::chrono::system_clock::to_time_t(*when) : now, c.revocation->reason});
    }
    const RevocationList crl = signedCrl(issuing, keys_->key.get(), revoked, now,
                                         now + std::time_t{settings_.crlDays} * 86'400, number);
    replaceFile(folder_.crlNumber(), std::to_string(number) + "\n", 0600);
    return {toPem(crl.get()), number, revoked.size(), utcText(X509_CRL_get0_nextUpdate(crl.get()))};
}

}  // namespace passerelle::federation
