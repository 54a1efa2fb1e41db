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
