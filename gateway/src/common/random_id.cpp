#include "common/random_id.h"

#include <sodium.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "common/encoding.h"

namespace passerelle {

std::string randomHex(std::size_t bytes) {
    // sodium_init() picks the randomness source; harmless when already done.
    static const bool ready = sodium_init() >= 0;
    if (!ready) throw std::runtime_error("libsodium could not be initialised");
    std::vector<std::uint8_t> buffer(bytes);
    randombytes_buf(buffer.data(), buffer.size());
    return toHex(buffer);
}

}  // namespace passerelle
