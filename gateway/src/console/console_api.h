#pragma once
// The console's JSON API (/api/*), one method per view of the page. Each reads
// the gateway through the same functions as the CLI (audit_views.h, audit.h,
// processing_register.h, subject_access.h), so the two never disagree.
//
// Requests reach it already authenticated (console_server.cpp).

#include <mutex>

#include "console/console_http.h"
#include "party/gateway.h"

namespace passerelle::console {

class ConsoleApi {
public:
    explicit ConsoleApi(exchange::Gateway& gateway) : gateway_(gateway) {}

    // Routes one /api/ request; throws ConsoleError for a refused one.
    Reply handle(const ApiRequest& request);

private:
    Reply overview();
    // ledger_api.cpp
    Reply entries(const ApiRequest& request);
    Reply entriesCsv(const ApiRequest& request);
    Reply batch(const std::string& batchId);
    Reply verification();
    // console_api.cpp
    Reply processingRegister();
    // subject_api.cpp
    Reply subject(const ApiRequest& request);
    Reply objections();
    void requireInstitution(const std::string& what) const;

    exchange::Gateway& gateway_;
    // One request at a time: the DPO's views are few and short, and the audit
    // and proofs then always see one consistent ledger.
    std::mutex mutex_;
};

}  // namespace passerelle::console
