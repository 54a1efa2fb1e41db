#pragma once
// The least-privilege PostgreSQL login a gateway instance runs as: a member of the
// cluster-wide group role passerelle_gateway, which the schema's grants name. Made
// for one test and dropped after it; the group role itself is left for the suite
// (other tests running beside this one may hold grants to it).

#include <sodium.h>

#include <cstdio>
#include <string>

#include "../support/postgres_server.h"

namespace passerelle::integration {

inline constexpr const char* kGatewayGroup = "passerelle_gateway";

// The server's message when `sql` is refused, "" when it succeeds.
inline std::string refusalOf(const std::string& conninfo, const std::string& sql) {
    try {
        PostgresForTest::execute(conninfo, sql);
        return "";
    } catch (const std::runtime_error& e) {
        return e.what();
    }
}

// Makes the group role unless it exists (possibly made this instant by another test).
inline std::string ensureGatewayGroup(const std::string& server) {
    const std::string why = refusalOf(server, std::string("CREATE ROLE ") + kGatewayGroup + " NOLOGIN");
    return why.empty() || why.find("already exists") != std::string::npos ? "" : why;
}

class GatewayLogin {
public:
    GatewayLogin(std::string server, const std::string& prefix) : server_(std::move(server)) {
        unsigned char suffix[6];
        randombytes_buf(suffix, sizeof suffix);
        static const char* digits = "0123456789abcdef";
        name_ = prefix;
        for (unsigned char b : suffix) {
            name_ += digits[b >> 4];
            name_ += digits[b & 15];
        }
        PostgresForTest::execute(server_, "CREATE ROLE " + name_ + " LOGIN IN ROLE " + kGatewayGroup);
    }
    ~GatewayLogin() {
        const std::string why = refusalOf(server_, "DROP ROLE IF EXISTS " + name_);
        if (!why.empty()) std::fprintf(stderr, "cannot drop test role %s: %s\n", name_.c_str(), why.c_str());
    }
    GatewayLogin(const GatewayLogin&) = delete;
    GatewayLogin& operator=(const GatewayLogin&) = delete;

    const std::string& name() const { return name_; }

private:
    std::string server_;
    std::string name_;
};

}  // namespace passerelle::integration
