#pragma once
// The gateway's state database, opened the one way every table of it needs: WAL,
// synchronous=FULL, and a busy timeout, so that the StateStore's session, the
// ExtractionRequests' session and other processes on the file wait for each other.

#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include <filesystem>

namespace passerelle::store {

// Opens `file`, creating it and its folder when missing; throws StoreError
// "state store FILE: cannot open: ...".
Poco::Data::Session openStateDatabase(const std::filesystem::path& file);

// Throws StoreError "state store FILE: cannot WHAT: <SQLite's reason>".
[[noreturn]] void throwStoreError(const std::filesystem::path& file, const char* what, const Poco::Exception& e);

// Runs fn; a Poco failure in it becomes that StoreError.
template <typename Fn>
auto guarded(const std::filesystem::path& file, const char* what, Fn&& fn) {
    try {
        return fn();
    } catch (const Poco::Exception& e) {
        throwStoreError(file, what, e);
    }
}

}  // namespace passerelle::store
