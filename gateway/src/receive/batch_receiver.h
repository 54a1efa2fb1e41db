#pragma once
// The Region's side of POST /v1/batches: authorise the sending party from its
// certificate, check the batch's signature, recipient and purpose, store it
// durably, write the ledger, and only then acknowledge with a signed receipt.
// A batch id seen before gets the receipt it got the first time.

#include "exchange/receipt.h"
#include "receive/receiving_parts.h"
#include "store/instance_locks.h"
#include "privacy/manifest.h"
#include "transport/tls_context.h"
#include "transport/wire_error.h"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <functional>
#include <mutex>

namespace passerelle::exchange {

class BatchReceiver {
public:
    // locks: another instance on the same PostgreSQL database may be storing the same batch.
    BatchReceiver(ReceivingParts parts, store::InstanceLocks& locks, std::function<void()> onStored)
        : parts_(parts), locks_(locks), onStored_(std::move(onStored)) {}

    void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                const transport::PeerIdentity& peer);

private:
    // The sending peer, once its certificate is allowed and the batch's announced size fits.
    const config::PeerSettings& admitBatch(const Poco::Net::HTTPServerRequest& request,
                                           const transport::PeerIdentity& peer);
    // Streams the envelope into the staging folder, its signature checked with the
    // peer's key; returns its manifest. Every refusal is in the ledger.
    privacy::Manifest receiveInto(const std::filesystem::path& staging, Poco::Net::HTTPServerRequest& request,
                                  const transport::PeerIdentity& peer,
                                  const config::PeerSettings& peerSettings);
    // The receiver's own policy: the batch is for us, for a purpose this peer may use,
    // and carries exactly the fields the Region's definition of that purpose allows.
    void checkAddressedToUs(const privacy::Manifest& manifest, const transport::PeerIdentity& peer,
                            const config::PeerSettings& peerSettings);
    // A batch id seen before: answered with its first receipt (true), or refused when
    // its content differs.
    bool answeredBefore(const privacy::Manifest& manifest, Poco::Net::HTTPServerResponse& response);
    // Counts the refusal, writes its batch-refused entry, then throws it as the HTTP error.
    [[noreturn]] void refuse(const transport::PeerIdentity& peer, const std::string& purpose,
                             const std::string& batchId, const std::string& reason,
                             transport::WireError code);
    // Ledger entry, signed receipt and inbox row of a batch already in its folder.
    SignedReceipt commit(const privacy::Manifest& manifest, const transport::PeerIdentity& peer);

    ReceivingParts parts_;
    store::InstanceLocks& locks_;
    std::function<void()> onStored_;
    std::mutex commitMutex_;
};

}  // namespace passerelle::exchange
