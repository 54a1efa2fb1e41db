#pragma once
// The exchange API each role serves (docs/openapi.json): which method and
// path reach which handler, and how large a body each accepts. `passerelle
// run` serves these tables; the tests compare them with the OpenAPI
// description, so a route cannot be served undocumented.

#include "party/gateway.h"
#include "receive/batch_receiver.h"
#include "send/extraction.h"
#include "transport/exchange_server.h"

namespace passerelle::exchange {

// The Region: POST /v1/batches (a sealed batch, up to gateway.max_batch_bytes),
// GET /v1/directory (the signed directory last published) and GET /v1/health. The handlers keep references to their arguments.
transport::RouteTable regionRoutes(Gateway& gateway, BatchReceiver& receiver);

// An institution with gateway.listen: POST /v1/extractions (a signed request,
// up to http.max_request_bytes) and GET /v1/health.
transport::RouteTable institutionRoutes(Gateway& gateway, ExtractionService& extractions);

}  // namespace passerelle::exchange
