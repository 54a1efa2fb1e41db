#pragma once
// What the text-parser fuzz targets share (docs/fuzzing.md): a way to report a
// finding, a scratch folder for parsers that read a file, a seed writer, and a
// strict UTF-8 check written independently of the gateway's own.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace passerelle::fuzz {

// A property of the parser does not hold: libFuzzer keeps the input and stops.
[[noreturn]] inline void finding(const char* target, const char* what) {
    std::fprintf(stderr, "%s: %s\n", target, what);
    std::abort();
}

// With PASSERELLE_FUZZ_VERBOSE set, prints why an input was refused (to check seeds).
inline void explainRefusal(const char* what) {
    static const bool verbose = std::getenv("PASSERELLE_FUZZ_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "refused: %s\n", what);
}

// A folder of this process under $TMPDIR (run-fuzzers points it at /dev/shm),
// else /dev/shm, else /tmp; removed at exit.
inline const std::filesystem::path& scratchFolder() {
    struct Scratch {
        std::filesystem::path path;
        Scratch() {
            std::filesystem::path base = "/tmp";
            if (const char* tmp = std::getenv("TMPDIR"); tmp != nullptr && *tmp != '\0') {
                base = tmp;
            } else if (::access("/dev/shm", W_OK) == 0) {
                base = "/dev/shm";
            }
            path = base / ("passerelle-fuzz-" + std::to_string(::getpid()));
            std::filesystem::create_directories(path);
        }
        ~Scratch() {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        }
    };
    static const Scratch scratch;
    return scratch.path;
}

inline void writeText(const std::filesystem::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        std::exit(2);
    }
}

// Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF.
inline bool isValidUtf8(std::string_view text) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        if (n - i >= 8) {  // ASCII words first, or large inputs would crawl
            std::uint64_t word;
            std::memcpy(&word, p + i, 8);
            if ((word & 0x8080808080808080ULL) == 0) {
                i += 8;
                continue;
            }
        }
        const unsigned c = p[i];
        std::size_t len;
        std::uint32_t cp;
        if (c < 0x80) {
            ++i;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len) return false;
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += len;
    }
    return true;
}

}  // namespace passerelle::fuzz
