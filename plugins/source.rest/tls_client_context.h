#pragma once
// The TLS client context of source.rest: its own Poco Context (the gateway's
// SSLManager set-up is left alone), certificate and host name always verified.
// No InvalidCertificateHandler is installed: OpenSSL's refusal stands (in the
// gateway process, the gateway's own handler refuses too and logs it).

#include <Poco/Net/Context.h>

#include <string>

#include "rest_settings.h"

namespace passerelle::rest {

// Throws SettingError naming ca_file / client_certificate / client_key.
Poco::Net::Context::Ptr makeTlsClientContext(const RestSettings& settings);

}  // namespace passerelle::rest
