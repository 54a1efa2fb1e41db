#pragma once
// The CA's folder (mode 0700): which file holds what, and the file work on it.
// Private keys are 0600 and written once (O_EXCL); the root key is needed only
// by `ca init` and may live offline afterwards (docs/federation.md).

#include <filesystem>
#include <string>
#include <string_view>

#include "common/errors.h"

namespace passerelle::federation {

// The CA cannot do what it was asked; the message names the file or the input.
class CaError : public Error {
public:
    using Error::Error;
};

struct CaFolder {
    std::filesystem::path dir;

    std::filesystem::path rootKey() const { return dir / "root.key"; }
    std::filesystem::path rootCertificate() const { return dir / "root.crt"; }
    std::filesystem::path issuingKey() const { return dir / "issuing.key"; }
    std::filesystem::path issuingCertificate() const { return dir / "issuing.crt"; }
    // The root then the issuing certificate: what every party's [tls] ca names.
    std::filesystem::path trustFile() const { return dir / "federation-ca.pem"; }
    // The root's CRL, made by ca init (nothing revoked), for [tls] crl next to crl.pem.
    std::filesystem::path rootCrl() const { return dir / "root.crl"; }
    // One JSON object a line: each issuance and revocation (issued_index.h).
    std::filesystem::path index() const { return dir / "issued.jsonl"; }
    // issued/<serial>.crt: every certificate issued, as issued.
    std::filesystem::path issuedDir() const { return dir / "issued"; }
    std::filesystem::path crlNumber() const { return dir / "crl.number"; }
    std::filesystem::path defaultCrl() const { return dir / "crl.pem"; }
    // Held while issuing, revoking or making a CRL: one writer at a time.
    std::filesystem::path lock() const { return dir / "ca.lock"; }

    // True when the folder holds a CA's certificate or key already.
    bool holdsCa() const;
};

// Creates `path` with exactly `mode`, writes `data` and syncs it; CaError naming
// the file if it exists or cannot be written.
void writeNewFile(const std::filesystem::path& path, std::string_view data, unsigned mode);
// Writes `data` to path.tmp, syncs it and renames it over `path`.
void replaceFile(const std::filesystem::path& path, std::string_view data, unsigned mode);
// Appends one line (a '\n' is added) to a file created 0600 if needed, and syncs it.
void appendLine(const std::filesystem::path& path, std::string_view line);
// A whole file of at most maxBytes; CaError naming it otherwise.
std::string readWholeFile(const std::filesystem::path& path, std::size_t maxBytes = 1 << 20);
// KeyError unless `path` is readable by its owner only.
void requireOwnerOnly(const std::filesystem::path& path);

}  // namespace passerelle::federation
