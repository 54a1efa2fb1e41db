#include "send/quarantine_report.h"

#include "common/errors.h"

namespace passerelle::exchange {

namespace {

void writeCell(std::ofstream& out, std::string_view cell) {
    out << '"';
    for (char c : cell) {
        if (c == '"') out << '"';
        out << c;
    }
    out << '"';
}

}  // namespace

QuarantineReport::QuarantineReport(std::filesystem::path file) : file_(std::move(file)) {}

QuarantineReport::~QuarantineReport() {
    if (out_.is_open()) out_.close();
}

void QuarantineReport::add(std::uint64_t line, std::string_view where, std::string_view reason) {
    if (!out_.is_open()) {
        out_.open(file_, std::ios::out | std::ios::trunc);
        if (!out_) {
            throw StoreError("cannot write the quarantine report " + file_.string());
        }
        out_ << "line,where,reason\n";
    }
    out_ << line << ',';
    writeCell(out_, where);
    out_ << ',';
    writeCell(out_, reason);
    out_ << '\n';
    ++problems_;
}

void QuarantineReport::close() {
    if (!out_.is_open()) return;
    out_.flush();
    if (!out_) {
        throw StoreError("cannot write the quarantine report " + file_.string() + " (disk full?)");
    }
    out_.close();
}

}  // namespace passerelle::exchange
