// libFuzzer target for the CSV source's reader (plugins/source.csv, docs/fuzzing.md).
// The first byte sets the options: bits 0-1 encoding (UTF-8, Windows-1252, ISO-8859-15,
// UTF-8), bits 2-3 delimiter (detect, ',', ';', tab), bit 4 no header, bits 5-7 the most
// bytes one read() may return (1, 2, 3, 5, 8, 16, 64), or 7: "large", where the file is
// the rest, then ~1 MiB of ASCII filler (8 KiB lines, or one longer line if the rest has
// an odd length), then the rest repeated across the end of the reader's first 1 MiB
// buffer, read 4093 bytes at a time: the buffer's shift and growth paths run. Otherwise
// the rest is the file.
// The file is read twice, with unlimited reads and with short ones: both runs must give
// the same rows and errors (a row split across reads is read as if it were not), and
// every cell handed out must be valid UTF-8. Row errors are fine; crashes, leaks, UB and
// differences are findings.
//   fuzz_csv_reader --make-seeds DIR   writes the seed corpus (tests/fuzz/corpus/...).

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "csv_reader.h"
#include "fuzz_support.h"

namespace fs = std::filesystem;
using namespace passerelle::csv;

namespace {

// 0: no limit. Only set while the harness drives a CsvReader.
std::size_t gReadLimit = 0;

}  // namespace

// The link wraps read(): csv_reader.cpp's calls land here (-Wl,--wrap=read).
extern "C" ssize_t __real_read(int fd, void* buf, std::size_t n);
extern "C" ssize_t __wrap_read(int fd, void* buf, std::size_t n) {
    if (gReadLimit != 0 && n > gReadLimit) {
        n = gReadLimit;
    }
    return __real_read(fd, buf, n);
}

namespace {

[[noreturn]] void finding(const char* what) { passerelle::fuzz::finding("fuzz_csv_reader", what); }

void appendStr(std::string& log, const psl_str& s) {
    if (s.size != 0 && s.data == nullptr) {
        finding("a cell has a size but no data");
    }
    if (!passerelle::fuzz::isValidUtf8(std::string_view(s.data, s.size))) {
        finding("a cell or column name is not valid UTF-8");
    }
    log += std::to_string(s.size);
    log += ':';
    log.append(s.data, s.size);  // also makes ASan check every byte is readable
}

// Reads the whole file; returns a transcript of everything the reader said.
std::string readAll(const ReaderOptions& options, std::size_t readLimit) {
    std::string log;
    gReadLimit = readLimit;
    try {
        CsvReader reader(options);
        log += "columns";
        for (const psl_str& c : reader.columns()) {
            log += ' ';
            appendStr(log, c);
        }
        for (;;) {
            psl_row row{};
            psl_error err{};
            const int rc = reader.next(row, err);
            if (rc == PSL_END) {
                log += "\nend";
                break;
            }
            if (rc == PSL_ROW_ERROR) {
                if (std::memchr(err.message, '\0', sizeof err.message) == nullptr) {
                    finding("a row error message is not NUL-terminated");
                }
                log += "\nerror " + std::to_string(err.line) + ':' + std::to_string(err.column) + ' ' +
                       err.message;
                continue;
            }
            if (rc != PSL_OK) {
                finding("next() returned a code other than OK, END or ROW_ERROR");
            }
            if (row.cell_count != reader.columns().size()) {
                finding("a row has a cell count other than the column count");
            }
            log += "\nrow " + std::to_string(row.line);
            for (std::size_t i = 0; i < row.cell_count; ++i) {
                log += ' ';
                appendStr(log, row.cells[i]);
            }
        }
    } catch (const ReaderFailure& e) {
        log += "\nfailure ";
        log += e.what();
    }
    gReadLimit = 0;
    return log;
}

const fs::path& inputPath() {
    static const fs::path path = [] {
        const char* tmp = std::getenv("TMPDIR");
        std::string templ =
            std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/passerelle-fuzz-XXXXXX";
        if (::mkdtemp(templ.data()) == nullptr) {
            std::perror("fuzz_csv_reader: mkdtemp");
            std::exit(1);
        }
        static const fs::path dir = templ;
        std::atexit([] {
            std::error_code ec;
            fs::remove_all(dir, ec);
        });
        return dir / "input.csv";
    }();
    return path;
}

void writeInput(const fs::path& path, std::string_view bytes) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
        std::perror("fuzz_csv_reader: cannot write the input file");
        std::exit(1);
    }
    ::close(fd);
}

constexpr std::size_t kReadLimits[8] = {1, 2, 3, 5, 8, 16, 64, 4093};
constexpr unsigned kLargeMode = 7;
// Past the reader's 1 MiB first buffer by more than its 64 KiB minimum read.
constexpr std::size_t kLargeBytes = (std::size_t{1} << 20) + (std::size_t{64} << 10);
constexpr std::size_t kFillerBytes = std::size_t{928} << 10;
constexpr std::size_t kOneLineBytes = std::size_t{1} << 20;
constexpr std::size_t kLargeMaxRows = 4096;

// Cheap to read (ASCII takes the 8-bytes-at-a-time paths) and puts the repeated body
// across the end of the first buffer, at an offset that depends on the body.
std::string largeFile(std::string_view body) {
    std::string out(body);
    // One line longer than the first buffer makes it grow; 8 KiB lines make it shift.
    const bool oneLine = body.size() % 2 == 1;
    const std::size_t filler =
        (oneLine ? kOneLineBytes : kFillerBytes) + (body.size() * 131) % (std::size_t{64} << 10);
    const std::size_t line = oneLine ? filler : 8191;
    while (out.size() < body.size() + filler) {
        out.append(std::min(line, body.size() + filler - out.size()), 'x');
        out += '\n';
    }
    const std::size_t total = std::max(kLargeBytes, out.size() + (std::size_t{64} << 10));
    while (out.size() < total) {
        out += body;
    }
    return out;
}

void makeSeeds(const fs::path& dir) {
    fs::create_directories(dir);
    // Option byte: encoding | delimiter << 2 | no-header << 4 | read-limit index << 5.
    const auto seed = [&](const char* name, unsigned options, std::string_view text) {
        writeInput(dir / name, std::string(1, static_cast<char>(options)) + std::string(text));
    };
    seed("utf8-comma", 0 | 0 << 2 | 1 << 5,
         "nom,prenom,date_sortie\nExemple,Jeanne,2026-06-30\nTest-Fictif,\xC3\x89lodie,2026-07-01\n");
    seed("utf8-bom-semicolon-crlf", 0 | 2 << 2 | 0 << 5,
         "\xEF\xBB\xBFnom;ville;note\r\nExemple;Lyon;\"12,5\"\r\n\"D'Essai\";\"Saint-\xC3\x89tienne\";9\r\n");
    seed("utf8-quoted-multiline", 0 | 1 << 2 | 2 << 5,
         "id,commentaire,fin\n1,\"deux\nlignes, \"\"cit\xC3\xA9\"\"\",2026\n2,\"\",\n\n3,simple,\"\"\n");
    seed("utf8-errors", 0 | 0 << 2 | 3 << 5,
         "a,b\n1,2,3\n\"x\"y,2\n\xC3\x28,bad\n\xED\xA0\x80,surrogate\nok,\"open\n");
    seed("windows-1252", 1 | 2 << 2 | 4 << 5,
         "nom;montant\nH\xE9l\xE8ne Exemple;100 \x80\nD\x81"
         "faut;1\n\"Fran\xE7ois \x93Test\x94\";2\n");
    seed("iso-8859-15", 2 | 0 << 2 | 5 << 5, "nom,prix\n\xC9milie Essai,10\xA4\n\"\xBD\xBE\",x\n");
    seed("tab-no-header", 0 | 3 << 2 | 1 << 4 | 6 << 5, "Exemple\tJeanne\t2026-06-30\nTest\tPaul\t\n");
    const std::string longCell(1500, 'x');
    seed("large-detect-tabs", 0 | 0 << 2 | 7 << 5,
         "a\tb\tc\n1\t" + longCell + "\t3\n\"q\t\"\t\t" + longCell + "\n");
    seed("large-quoted-1252", 1 | 1 << 2 | 1 << 4 | 7 << 5,
         "\"x\n" + longCell + "\"\"y\"\"\",\xE9t\xE9,3\r\n" + longCell + ",\"\",\xE0\n");
    seed("duplicate-header", 0 | 0 << 2 | 0 << 5, "a,b,a\n1,2,3\n");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    if (*argc == 3 && std::strcmp((*argv)[1], "--make-seeds") == 0) {
        makeSeeds((*argv)[2]);
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const unsigned b = data[0];
    static constexpr Encoding kEncodings[4] = {Encoding::Utf8, Encoding::Windows1252, Encoding::Iso8859_15,
                                               Encoding::Utf8};
    static constexpr char kDelimiters[4] = {0, ',', ';', '\t'};
    ReaderOptions options;
    options.path = inputPath().string();
    options.encoding = kEncodings[b & 3];
    options.delimiter = kDelimiters[(b >> 2) & 3];
    options.header = (b & 0x10) == 0;
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    if ((b >> 5) == kLargeMode && !body.empty()) {
        const std::size_t copies = (kLargeBytes - kFillerBytes) / body.size() + 2;
        if (copies * static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n')) > kLargeMaxRows) {
            return 0;  // too slow to be worth it: large mode is for long rows
        }
        writeInput(inputPath(), largeFile(body));
    } else {
        writeInput(inputPath(), body);
    }
    if (readAll(options, kReadLimits[b >> 5]) != readAll(options, 0)) {
        finding("short reads change what the reader returns");
    }
    return 0;
}
