// passerelle preview: how a job's source reads its export, for the
// administrator setting up the mapping. The values go to stdout and nowhere
// else: nothing is logged, nothing is stored, and neither keys, a state folder
// nor a peer are needed, so it works before `passerelle keys init`.

#include <charconv>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "common/errors.h"
#include "common/json_text.h"
#include "config/gateway_config.h"
#include "plugin/plugin_host.h"
#include "record/record_validator.h"
#include "send/source_records.h"

namespace passerelle::cli {

namespace {

constexpr std::uint64_t kDefaultRows = 20;
constexpr std::size_t kShownCodePoints = 40;  // a longer cell is cut in the text form, never in JSON

std::uint64_t rowLimit(const ParsedOptions& options) {
    const auto text = options.optional("rows");
    if (!text) return kDefaultRows;
    std::uint64_t rows = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), rows);
    if (text->empty() || ec != std::errc() || end != text->data() + text->size()) {
        throw UsageError("--rows must be a whole number of rows (0 shows them all)");
    }
    return rows;
}

// JSON for any bytes: a plugin owes the host UTF-8, but a broken one must not
// make the output unreadable, so each invalid byte becomes U+FFFD.
void appendJsonText(std::string& out, std::string_view s) {
    if (isValidUtf8(s)) return appendJsonString(out, s);
    std::string repaired;
    for (std::size_t i = 0; i < s.size();) {
        const auto lead = static_cast<unsigned char>(s[i]);
        const std::size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        if (i + length <= s.size() && isValidUtf8(s.substr(i, length))) {
            repaired.append(s.substr(i, length));
            i += length;
        } else {
            repaired.append("\xEF\xBF\xBD");
            ++i;
        }
    }
    appendJsonString(out, repaired);
}

// One line per row on a terminal: control characters shown escaped, long
// values cut after kShownCodePoints characters.
std::string forDisplay(std::string_view value) {
    std::string out;
    std::size_t codePoints = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const auto c = static_cast<unsigned char>(value[i]);
        const bool continuation = (c & 0xC0) == 0x80;
        if (!continuation && ++codePoints > kShownCodePoints) {
            out += "\xE2\x80\xA6";  // …
            break;
        }
        switch (c) {
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7F) {
                    out += "\\x" + std::string{"0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]};
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out;
}

std::string cellsForDisplay(const std::vector<std::string_view>& cells) {
    std::string out;
    for (std::string_view cell : cells) out += (out.empty() ? "[" : " [") + forDisplay(cell) + "]";
    return out;
}

void appendJsonArray(std::string& out, const std::vector<std::string_view>& cells) {
    out += '[';
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i != 0) out += ',';
        appendJsonText(out, cells[i]);
    }
    out += ']';
}

// A row the plugin could not read: named on stderr by its place, never its content.
void reportMalformed(std::uint64_t line, std::string_view where, std::string_view reason) {
    std::cerr << "passerelle preview: line " << line << (where == "row" ? "" : ", " + std::string(where))
              << ": the row cannot be read and is not shown: " << reason << "\n";
}

std::string limitText(std::uint64_t limit) {
    return limit == 0 ? "all rows" : "at most " + std::to_string(limit) + " rows (--rows 0 shows all)";
}

// The --json output: one array, written in chunks so a whole export (--rows 0)
// does not sit in memory. Made once the source is open: a source that fails
// midway still leaves a valid JSON array on stdout (the rows read so far,
// closed here on the way out), while its error goes to stderr with exit 3.
class JsonArrayOut {
public:
    explicit JsonArrayOut(bool enabled) : enabled_(enabled) {
        if (enabled_) buffer_ += '[';
    }
    ~JsonArrayOut() {
        if (enabled_ && !closed_) std::cout << buffer_ << "]\n" << std::flush;
    }
    // The next element: the caller appends it to the returned buffer.
    std::string& element() {
        if (++elements_ > 1) buffer_ += ",\n";
        return buffer_;
    }
    void afterElement() {
        if (buffer_.size() >= kChunk) {
            std::cout << buffer_;
            buffer_.clear();
        }
    }
    void close() {
        std::cout << buffer_ << "]\n";
        closed_ = true;
    }
    JsonArrayOut(const JsonArrayOut&) = delete;
    JsonArrayOut& operator=(const JsonArrayOut&) = delete;

private:
    static constexpr std::size_t kChunk = 1 << 20;
    bool enabled_;
    bool closed_ = false;
    std::uint64_t elements_ = 0;
    std::string buffer_;
};

int previewRaw(const config::GatewayConfig& config, const config::JobSettings& job, std::uint64_t limit,
               bool json) {
    auto reader = plugin::SourcePlugin::load(config.pluginsDir, job.source)->open(job.sourceSettings);
    JsonArrayOut out(json);
    if (json) {
        appendJsonArray(out.element(), reader->columns());
    } else {
        std::cout << "job " << job.name << ", source " << job.source << ": the rows as read, before mapping; "
                  << limitText(limit) << "\ncolumns: " << cellsForDisplay(reader->columns()) << "\n";
    }
    std::uint64_t rows = 0;
    std::uint64_t malformed = 0;
    std::vector<std::string_view> cells;
    psl_row row{};
    psl_error err{};
    while (limit == 0 || rows < limit) {
        const auto step = reader->next(row, err);
        if (step == plugin::SourceReader::Step::End) break;
        ++rows;
        if (step == plugin::SourceReader::Step::RowError) {
            ++malformed;
            reportMalformed(err.line, err.column ? "column " + std::to_string(err.column) : "row",
                            err.message);
            continue;
        }
        cells.clear();
        for (std::size_t i = 0; i < row.cell_count; ++i)
            cells.emplace_back(row.cells[i].data, row.cells[i].size);
        if (json) {
            appendJsonArray(out.element(), cells);
            out.afterElement();
        } else {
            std::cout << "line " << row.line << ": " << cellsForDisplay(cells) << "\n";
        }
    }
    if (json) {
        out.close();
    } else {
        std::cout << rows << " row(s) read, " << malformed << " malformed (named on stderr)\n";
    }
    return malformed == 0 ? kExitOk : kExitFailed;
}

void appendRecordJson(std::string& out, const std::vector<record::Field>& fields,
                      const record::TraineeRecord& record,
                      const std::vector<record::FieldProblem>& problems) {
    out += "{\"line\":" + std::to_string(record.sourceLine) + ",\"fields\":{";
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i != 0) out += ',';
        appendJsonString(out, record::nameOf(fields[i]));
        out += ':';
        if (record.isPresent(fields[i])) {
            appendJsonText(out, record.get(fields[i]));
        } else {
            out += "null";  // never given, or wiped (a NIR)
        }
    }
    out += "},\"errors\":[";
    for (std::size_t i = 0; i < problems.size(); ++i) {
        out += i == 0 ? "{\"field\":" : ",{\"field\":";
        appendJsonString(out, record::nameOf(problems[i].field));
        out += ",\"reason\":";
        appendJsonString(out, problems[i].reason);
        out += '}';
    }
    out += "]}";
}

void printRecord(const std::vector<record::Field>& fields, const record::TraineeRecord& record,
                 const std::vector<record::FieldProblem>& problems) {
    std::cout << "line " << record.sourceLine << ": " << (problems.empty() ? "accepted" : "REFUSED") << "\n";
    for (record::Field f : fields) {
        std::string name(record::nameOf(f));
        name.resize(std::max<std::size_t>(name.size() + 2, 22), ' ');
        std::cout << "  " << name << (record.isPresent(f) ? forDisplay(record.get(f)) : "(none)") << "\n";
    }
    for (const record::FieldProblem& p : problems) {
        std::cout << "  ! " << record::nameOf(p.field) << ": " << p.reason << "\n";
    }
}

int previewRecords(const config::GatewayConfig& config, const config::JobSettings& job, std::uint64_t limit,
                   bool json) {
    exchange::SourceRecords source(config, job, config.purpose(job.purpose).required);
    struct Refusal {
        std::uint64_t line = 0;
        std::string where;
        std::string reason;
    } last;
    source.onRefused([&](std::uint64_t line, std::string_view where, std::string_view reason) {
        last = {line, std::string(where), std::string(reason)};
    });
    JsonArrayOut out(json);
    if (!json) {
        std::cout << "job " << job.name << " (purpose " << job.purpose << ", source " << job.source
                  << "): each row as the transfer maps, normalises and checks it; " << limitText(limit)
                  << "\n";
    }
    std::uint64_t rows = 0, accepted = 0, refused = 0, malformed = 0;
    record::TraineeRecord record;
    std::vector<record::FieldProblem> problems;
    while (limit == 0 || rows < limit) {
        const auto step = source.next(record, problems);
        if (step == exchange::SourceRecords::Step::End) break;
        ++rows;
        if (step == exchange::SourceRecords::Step::Refused && problems.empty()) {
            ++malformed;
            reportMalformed(last.line, last.where, last.reason);
            continue;
        }
        if (problems.empty())
            ++accepted;
        else
            ++refused;
        if (json) {
            appendRecordJson(out.element(), source.fields(), record, problems);
            out.afterElement();
        } else {
            printRecord(source.fields(), record, problems);
        }
    }
    if (json) {
        out.close();
    } else {
        std::cout << rows << " row(s) read: " << accepted << " accepted, " << refused << " refused, "
                  << malformed << " malformed (named on stderr)\n";
    }
    return refused == 0 && malformed == 0 ? kExitOk : kExitFailed;
}

int preview(const ParsedOptions& options) {
    const std::uint64_t limit = rowLimit(options);
    const std::string jobName = options.value("job");
    // The configuration only: loading it reads no key, opens no state and calls no peer.
    const auto config = config::GatewayConfig::load(options.value("config"));
    const config::JobSettings& job = config.job(jobName);
    return options.has("raw") ? previewRaw(config, job, limit, options.has("json"))
                              : previewRecords(config, job, limit, options.has("json"));
}

}  // namespace

Command previewCommand() {
    CommandSpec spec;
    spec.name = "preview";
    spec.summary =
        "show how a job's source reads its export (local, on stdout only; for setting up a mapping)";
    spec.usage = "passerelle preview --config FILE --job NAME [--rows N] [--raw] [--json]";
    spec.options = {configOption(),
                    {"job", true, "the [job.NAME] whose source is read", "NAME"},
                    {"rows", true, "how many rows to read (default 20; 0 = all), then stop", "N"},
                    {"raw", false, "show the cells as the source plugin gives them, before mapping", ""},
                    {"json", false, "print one JSON array instead of text", ""}};
    spec.details =
        "Reads the first rows of the job's source through its plugin and prints them, so an administrator "
        "can\n"
        "check the plugin settings (encoding, delimiter, header) and the job's map.*, const.* and values.* "
        "keys\n"
        "before the first transfer. It needs only the configuration and the plugin: no keys, no state "
        "folder,\n"
        "no peer. Nothing is logged, stored or sent.\n"
        "\n"
        "The output holds the export's personal data: look at it, do not keep or share it.\n"
        "\n"
        "Without --raw: each row as a transfer sees it -- mapped, given its constants and value maps,\n"
        "normalised (ISO dates, E.164 phones, upper-case codes) and checked against the job's purpose --\n"
        "with its source line, every field the job fills and every problem (field and reason) that would "
        "make\n"
        "a transfer refuse it. Objections and a run's date filters are not applied.\n"
        "  --json: [{\"line\": N, \"fields\": {\"FIELD\": \"VALUE\" or null, ...},\n"
        "           \"errors\": [{\"field\": \"FIELD\", \"reason\": \"...\"}, ...]}, ...]\n"
        "\n"
        "With --raw: each row's cells exactly as the plugin gives them (for source.csv: decoded to UTF-8 "
        "and\n"
        "unquoted), before mapping and validation. The text form cuts cells longer than 40 characters and\n"
        "shows line breaks as \\n; --json never cuts anything.\n"
        "  --json: [[\"COLUMN\", ...], [\"CELL\", ...], ...] -- the first array is the column names the "
        "plugin\n"
        "          reports (a CSV file's header line), then one array per row.\n"
        "\n"
        "A row the plugin cannot read (e.g. a wrong number of cells, an unterminated quote) is not shown; "
        "its\n"
        "line, column and reason go to stderr and reading goes on. With --json, stdout is always one "
        "complete\n"
        "JSON document, written as it goes (memory stays flat with --rows 0): nothing when the source "
        "cannot\n"
        "be opened; the rows read so far when it fails midway (exit 3, the error on stderr).\n"
        "\n"
        "Exit codes: 0 every row shown would be accepted; 1 a row is malformed, or (without --raw) would be\n"
        "refused; 2 wrong usage; 3 the configuration, the job or the source cannot be read (e.g. an empty\n"
        "file, a mapped column missing from the header: the message names the key).\n"
        "See docs/preview.md.";
    return {spec, preview};
}

}  // namespace passerelle::cli
