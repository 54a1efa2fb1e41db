#pragma once
// One exception type per failure family. Messages say what was wrong, where,
// and what to do; they never carry a data value from an export or a secret.

#include <stdexcept>
#include <string>

namespace passerelle {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A configuration file or key is wrong; the message names the key.
class ConfigError : public Error {
public:
    using Error::Error;
};

// A key file is missing, malformed or too widely readable.
class KeyError : public Error {
public:
    using Error::Error;
};

// A plugin could not be loaded or failed while running.
class PluginError : public Error {
public:
    using Error::Error;
};

// A sealed batch or its manifest is malformed, altered or not for us.
class BatchError : public Error {
public:
    using Error::Error;
};

// The ledger could not be written, or does not verify.
class LedgerError : public Error {
public:
    using Error::Error;
};

// Delivery to or from a peer failed (network, TLS, refused, bad receipt).
class TransportError : public Error {
public:
    using Error::Error;
};

// A storage operation failed (disk full, database locked, ...).
class StoreError : public Error {
public:
    using Error::Error;
};

}  // namespace passerelle
