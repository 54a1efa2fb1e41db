#pragma once
// Certificate revocation lists named by [tls] crl. Each handshake checks the
// peer's certificate against the lists read last; a file that changes (its
// modification time, size or inode) is read again without a restart, and the
// new lists serve the handshakes that start after it.

#include <openssl/x509.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace passerelle::transport {

// One reading of every CRL file; lives as long as a handshake holds it.
class CrlSet {
public:
    CrlSet();
    ~CrlSet();
    CrlSet(const CrlSet&) = delete;
    CrlSet& operator=(const CrlSet&) = delete;

    // For X509_STORE_CTX_set0_crls: the set keeps ownership.
    STACK_OF(X509_CRL) * stack() const { return crls_; }
    void add(X509_CRL* crl);  // takes ownership
    // The earliest next update of the lists, and the file it comes from.
    std::chrono::system_clock::time_point nextUpdate = std::chrono::system_clock::time_point::max();
    std::filesystem::path nextUpdateFile;

private:
    STACK_OF(X509_CRL) * crls_;
};

class CrlStore {
public:
    // Reads every file now. Throws ConfigError naming the file (and tls.crl)
    // when one is missing, unreadable, not a CRL, not signed by a CA of
    // `caFile`, or past its next update.
    CrlStore(std::vector<std::filesystem::path> files, const std::filesystem::path& caFile);
    ~CrlStore();
    CrlStore(const CrlStore&) = delete;
    CrlStore& operator=(const CrlStore&) = delete;

    // The lists to check a handshake against. At most once a second it looks
    // at the files (a stat each) and reads them all again if one changed; a
    // file that no longer reads is logged as an error and the lists read
    // before stay in force. A list past its next update is logged as an error
    // (once a minute): OpenSSL then refuses every certificate it covers.
    std::shared_ptr<const CrlSet> current();

    // X509_V_FLAG_CRL_CHECK, and X509_V_FLAG_CRL_CHECK_ALL when tls.ca holds an
    // intermediate CA (then each CA of the chain needs its own list).
    unsigned long verifyFlags() const { return flags_; }

private:
    struct Stamp {
        std::int64_t mtimeNs = 0;
        std::int64_t size = -1;
        std::uint64_t inode = 0;
        bool operator==(const Stamp&) const = default;
    };
    std::shared_ptr<const CrlSet> read() const;  // throws ConfigError
    std::vector<Stamp> stamps() const;

    std::vector<std::filesystem::path> files_;
    std::vector<X509*> cas_;  // the certificates of tls.ca, owned
    unsigned long flags_ = 0;

    std::mutex mutex_;  // guards everything below
    std::shared_ptr<const CrlSet> current_;
    std::vector<Stamp> stamps_;
    std::chrono::steady_clock::time_point lastLook_;
    std::chrono::steady_clock::time_point lastExpiryWarning_;
};

}  // namespace passerelle::transport
