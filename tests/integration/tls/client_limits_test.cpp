// ExchangeClient against a server that answers more than any exchange answer:
// the client stops reading at its cap and says so, instead of holding it all.

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>

#include "../support/exchange_fixture.h"
#include "common/errors.h"
#include "transport/exchange_client.h"
#include "transport/tls_context.h"

namespace passerelle::integration {
namespace {

// Answers GET /bytes/<n> with n bytes.
class BytesHandler final : public Poco::Net::HTTPRequestHandler {
public:
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        const std::size_t n = std::stoul(request.getURI().substr(std::string("/bytes/").size()));
        response.setContentType("application/json");
        response.setContentLength64(static_cast<Poco::Int64>(n));
        std::ostream& out = response.send();
        const std::string chunk(64 * 1024, 'x');
        for (std::size_t sent = 0; sent < n && out.good(); sent += chunk.size()) {
            out.write(chunk.data(), static_cast<std::streamsize>(std::min(chunk.size(), n - sent)));
        }
    }
};

class BytesFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new BytesHandler;
    }
};

class ClientLimitsTest : public ExchangeTest {
protected:
    config::TlsSettings tlsOf(const std::string& party) {
        return config::TlsSettings{pki() / (party + ".crt"), pki() / (party + ".key"), pki() / "ca.crt", {}};
    }
};

TEST_F(ClientLimitsTest, AnAnswerLargerThanTheCapIsRefusedByName) {
    makePki({kRegion, "univ-montpellier"});
    ASSERT_FALSE(HasFailure());
    Poco::Net::SecureServerSocket socket(transport::makeServerContext(tlsOf(kRegion)));
    socket.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
    socket.listen(8);
    Poco::Net::HTTPServer server(new BytesFactory, socket, new Poco::Net::HTTPServerParams);
    server.start();
    const transport::ExchangeClient client(tlsOf("univ-montpellier"),
                                           "https://localhost:" + std::to_string(server.port()));

    const auto small = client.get("/bytes/1000");
    EXPECT_EQ(small.status, 200);
    EXPECT_EQ(small.body.size(), 1000u);
    const auto atCap = client.get("/bytes/" + std::to_string(transport::ExchangeClient::kMaxResponseBytes));
    EXPECT_EQ(atCap.body.size(), transport::ExchangeClient::kMaxResponseBytes);

    try {
        client.get("/bytes/" + std::to_string(64u << 20));
        ADD_FAILURE() << "a 64 MiB answer was read whole";
    } catch (const TransportError& e) {
        EXPECT_NE(std::string(e.what()).find("response_too_large"), std::string::npos) << e.what();
    }
    server.stopAll(true);
}

}  // namespace
}  // namespace passerelle::integration
