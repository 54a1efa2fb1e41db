#pragma once
// The DPO console (docs/console.md): a web page and its JSON API on a listener
// of its own, plain HTTP on the loopback interface only (the configuration
// refuses anything else), behind the token of console.token_file.
//
// Start it beside the exchange (`passerelle run`) or alone (`passerelle
// console`): construct (loads the token, binds the port), start(), stop().

#include <Poco/Net/HTTPServer.h>

#include <cstdint>
#include <filesystem>
#include <memory>

#include "console/access_token.h"
#include "console/console_api.h"
#include "console/console_session.h"
#include "party/gateway.h"

namespace passerelle::console {

class ConsoleServer {
public:
    // Throws ConfigError naming console.listen when the configuration has no
    // [console] section or the port cannot be bound, and console.token_file
    // when the token file is unusable. Starts no thread.
    explicit ConsoleServer(exchange::Gateway& gateway);
    ~ConsoleServer();
    ConsoleServer(const ConsoleServer&) = delete;
    ConsoleServer& operator=(const ConsoleServer&) = delete;

    void start();
    // Lets requests in progress finish. Idempotent.
    void stop();
    std::uint16_t port() const;
    // "http://127.0.0.1:PORT/"
    std::string url() const;
    const std::filesystem::path& tokenFile() const { return tokenFile_; }

private:
    std::filesystem::path tokenFile_;
    std::string host_;
    std::unique_ptr<ConsoleApi> api_;
    std::unique_ptr<SessionRegistry> sessions_;
    std::unique_ptr<AccessToken> token_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    bool running_ = false;
};

}  // namespace passerelle::console
