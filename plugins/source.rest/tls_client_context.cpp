#include "tls_client_context.h"

#include <Poco/Net/SSLManager.h>

#include <mutex>

#include "source_failure.h"

namespace passerelle::rest {

namespace {

void initialiseOpenSsl() {
    static std::once_flag once;
    std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

}  // namespace

Poco::Net::Context::Ptr makeTlsClientContext(const RestSettings& s) {
    initialiseOpenSsl();
    Poco::Net::Context::Params params;
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.verificationDepth = 6;
    params.caLocation = s.caFile.string();
    params.loadDefaultCAs = s.caFile.empty();
    params.certificateFile = s.clientCertificate.string();
    params.privateKeyFile = s.clientKey.string();
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
    try {
        Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
        context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        context->enableExtendedCertificateVerification(true);  // the certificate must name the URL's host
        return context;
    } catch (const Poco::Exception& e) {
        const std::string setting =
            s.clientCertificate.empty() ? "ca_file" : "ca_file / client_certificate / client_key";
        throw SettingError(setting,
                           "cannot set up TLS (" + e.displayText() +
                               "); check that the files are PEM certificates and an unencrypted key");
    }
}

}  // namespace passerelle::rest
