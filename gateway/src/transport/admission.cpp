#include "transport/admission.h"

#include "transport/request_body.h"

namespace passerelle::transport {

BodyCheck checkBody(const Poco::Net::HTTPServerRequest& request, std::uint64_t maxBodyBytes) {
    if (maxBodyBytes == 0) return hasRequestBody(request) ? BodyCheck::NotExpected : BodyCheck::Fits;
    if (!request.hasContentLength()) return BodyCheck::LengthRequired;
    const auto length = request.getContentLength64();
    if (length < 0 || static_cast<std::uint64_t>(length) > maxBodyBytes) return BodyCheck::TooLarge;
    return BodyCheck::Fits;
}

HttpError PeerRefusal::error() const {
    return HttpError(code, message);
}

Admission admit(const config::GatewayConfig& config, const PeerIdentity& peer,
                const Poco::Net::HTTPServerRequest& request, std::uint64_t maxBodyBytes) {
    Admission admission;
    admission.body = checkBody(request, maxBodyBytes);
    const auto it = config.peers.find(peer.commonName);
    if (it == config.peers.end()) {
        admission.peerRefusal =
            PeerRefusal{WireError::UnknownParty, "certificate '" + peer.commonName + "' is not a configured peer"};
    } else if (!it->second.certificateSha256.empty() && it->second.certificateSha256 != peer.sha256) {
        admission.peerRefusal =
            PeerRefusal{WireError::CertificateNotPinned, "certificate of '" + peer.commonName + "' (SHA-256 " +
                                                      peer.sha256 + ") is not the one pinned in peer." +
                                                      peer.commonName + ".certificate_sha256"};
    } else {
        admission.peer = &it->second;
    }
    return admission;
}

}  // namespace passerelle::transport
