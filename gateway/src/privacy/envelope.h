#pragma once
// The HTTP body that carries a sealed batch between gateways:
//   "PSLENV01" | u32 BE manifest length | manifest.json | manifest.sig (64) | payload.bin

#include <cstdint>
#include <filesystem>
#include <functional>
#include <istream>
#include <ostream>

#include "privacy/batch_reader.h"
#include "privacy/manifest.h"

namespace passerelle::privacy {

// Size in bytes of the envelope of a complete batch folder (for Content-Length).
std::uint64_t envelopeSize(const std::filesystem::path& batchDir);
// Throws BatchError if the folder is not a complete batch, std::ios_base::failure-free:
// write errors surface as BatchError too.
void writeEnvelope(const std::filesystem::path& batchDir, std::ostream& out);
// Verifies the manifest signature before storing anything, then streams the payload
// into batchDir (which must not exist) while hashing it; checks the digest and maxBytes
// (whole envelope). Throws BatchFormatError; on any failure batchDir does not exist.
// Recipient checks are left to BatchReader (it holds the keys). `beforeStoring`, when
// given, sees the verified manifest before anything is created on disk: the receiver's
// own policy (recipient, purpose, fields) refuses there by throwing.
using ManifestCheck = std::function<void(const Manifest&)>;
Manifest receiveEnvelope(std::istream& in, const std::filesystem::path& batchDir,
                         const SenderKeyLookup& senderKey, std::uint64_t maxBytes,
                         const ManifestCheck& beforeStoring = {});

}  // namespace passerelle::privacy
