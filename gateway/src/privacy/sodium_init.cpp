#include "privacy/sodium_init.h"

#include <sodium.h>

#include <stdexcept>

namespace passerelle::privacy {

void ensureSodium() {
    static const bool ok = sodium_init() >= 0;  // magic static: initialised once, thread-safe
    if (!ok) {
        throw std::runtime_error("libsodium could not be initialised");
    }
}

}  // namespace passerelle::privacy
