// synthetic-export: writes an institution-style CSV export of invented
// trainees, with a chosen share of deliberately invalid rows.
//
//   synthetic-export --rows N [--profile apogee|pegase] [--encoding utf-8|utf-8-bom|windows-1252]
//                    [--invalid PERCENT] [--seed S] [--uai UAI] > export.csv
//
// Every name is drawn from short lists of common French names and combined at
// random: no row describes a real person. Invalid rows carry one defect each
// (bad date, exit before entry, bad e-mail, bad phone, missing name, a value
// shaped like a social-security number) and are counted on stderr.
//
// The last three columns are the institution's survey 6 months after exit
// (convention art. 3-8): survey date, situation code (docs/configuration.md) and
// durable employment (oui/non). They are drawn from a second generator so
// the other columns of a given seed stay what they always were.

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Rng {
    std::uint64_t s;
    std::uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

constexpr std::string_view kSurnames[] = {
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
    "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martínez", "Legrand",
    "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Müller", "Henry", "Roussel", "Nicolas", "Perrin",
    "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "N'Diaye", "D'Almeida",
    "Le Gall", "Saint-Martin", "Boyer", "Noël", "Caron"};
constexpr std::string_view kFirstNames[] = {
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Jade", "Louise", "Zoé", "Emma", "Sarah", "Lucas", "Hugo",
    "Théo", "Nathan", "Louis", "Enzo", "Mathis", "Noé", "Gabriel", "Raphaël", "Jean-Baptiste", "Anne-Sophie",
    "Marie-Hélène", "Loïc", "Gaëlle", "Maël", "Océane", "Jérôme", "Françoise", "Aurélien", "Céline", "Benoît"};
constexpr std::string_view kCourses[] = {
    "DU Management de projet", "Licence professionnelle Métiers du numérique", "DAEU option A",
    "Master Droit des affaires", "Capacité en droit", "DU Comptabilité et gestion",
    "Licence professionnelle Agronomie", "Titre Technicien supérieur réseaux"};
constexpr std::string_view kProgrammes[] = {"FORPRO_SUP", "FORPRO_SUP", "FORPRO_SUP", "DAEU", "CAPACITE_DROIT"};

struct InsertionStatus {
    std::string_view code;
    bool durable;  // counts as durable employment
};
constexpr InsertionStatus kInsertionStatuses[] = {
    {"EMPLOYED_PERMANENT", true},         {"EMPLOYED_PERMANENT", true},
    {"EMPLOYED_FIXED_6M_PLUS", true},     {"EMPLOYED_FIXED_UNDER_6M", false},
    {"TEMPING", false},                   {"WORK_STUDY", false},
    {"SELF_EMPLOYED", true},              {"IN_TRAINING", false},
    {"JOB_SEEKER_REGISTERED", false},     {"JOB_SEEKER_REGISTERED", false},
    {"UNEMPLOYED_NOT_REGISTERED", false}, {"INACTIVE", false},
    {"NO_ANSWER", false}};

// UTF-8 -> Windows-1252 for the characters the lists use.
std::string toWindows1252(std::string_view utf8) {
    std::string out;
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size()) {
            const unsigned cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3Fu);
            out += static_cast<char>(cp <= 0xFF ? cp : '?');
            ++i;
        } else {
            out += '?';
        }
    }
    return out;
}

std::string date(int y, int m, int d, bool iso) {
    char buf[16];
    if (iso) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    } else {
        std::snprintf(buf, sizeof buf, "%02d/%02d/%04d", d, m, y);
    }
    return buf;
}

std::string asciiLower(std::string_view s) {
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= 'a' && u <= 'z') || (u >= '0' && u <= '9')) out += c;
        else if (u >= 'A' && u <= 'Z') out += static_cast<char>(u - 'A' + 'a');
        else if (u < 0x80 && (c == '-' || c == ' ')) out += '-';
        // non-ASCII letters are dropped from e-mail addresses
    }
    return out;
}

std::string quote(std::string_view cell, char delimiter) {
    if (cell.find(delimiter) == std::string_view::npos && cell.find('"') == std::string_view::npos &&
        cell.find('\n') == std::string_view::npos) {
        return std::string(cell);
    }
    std::string out = "\"";
    for (char c : cell) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

// A well-formed social-security number shape for the "NIR supplied" defect:
// invented digits with a correct key, so the gateway's detector must catch it.
std::string syntheticNir(Rng& rng) {
    const std::uint64_t body = (1 + rng.below(2)) * 1000000000000ull + rng.below(1000000000000ull);
    const unsigned key = static_cast<unsigned>(97 - body % 97);
    char buf[24];
    std::snprintf(buf, sizeof buf, "%013llu%02u", static_cast<unsigned long long>(body), key);
    return buf;
}

void usage() {
    std::cerr << "usage: synthetic-export --rows N [--profile apogee|pegase] "
                 "[--encoding utf-8|utf-8-bom|windows-1252] [--invalid PERCENT] [--seed S]\n";
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t rows = 100;
    std::string profile = "apogee";
    std::string encoding = "utf-8";
    unsigned invalidPercent = 0;
    std::uint64_t seed = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage();
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--rows") rows = std::stoull(value());
        else if (arg == "--profile") profile = value();
        else if (arg == "--encoding") encoding = value();
        else if (arg == "--invalid") invalidPercent = static_cast<unsigned>(std::stoul(value()));
        else if (arg == "--seed") seed = std::stoull(value());
        else {
            usage();
            return arg == "--help" ? 0 : 2;
        }
    }
    if (profile != "apogee" && profile != "pegase") {
        usage();
        return 2;
    }
    const bool apogee = profile == "apogee";
    const char delimiter = apogee ? ';' : ',';
    const bool cp1252 = encoding == "windows-1252";
    Rng rng{seed * 0x9E3779B97F4A7C15ull + 1};
    Rng surveyRng{seed * 0xD1B54A32D192ED03ull + 7};

    std::string out;
    out.reserve(1 << 20);
    if (encoding == "utf-8-bom") out += "\xEF\xBB\xBF";
    const std::vector<std::string_view> header =
        apogee ? std::vector<std::string_view>{"COD_ETU", "NOM", "PRENOM", "DATE_NAI", "EMAIL", "TEL_PORTABLE",
                                               "COD_INE", "LIB_FORMATION", "COD_RNCP", "DATE_ENTREE",
                                               "DATE_SORTIE", "PROGRAMME", "DATE_ENQUETE", "SITUATION_6M",
                                               "EMPLOI_DURABLE"}
               : std::vector<std::string_view>{"code_apprenant", "nom_famille", "prenoms", "date_naissance",
                                               "courriel", "telephone_mobile", "ine", "formation", "rncp",
                                               "date_debut", "date_fin", "dispositif", "date_enquete",
                                               "situation_6_mois", "emploi_durable"};
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (i) out += delimiter;
        out += header[i];
    }
    out += "\r\n";

    std::uint64_t invalid = 0;
    std::vector<std::string> cells(header.size());
    for (std::uint64_t n = 0; n < rows; ++n) {
        const std::string_view surname = kSurnames[rng.below(std::size(kSurnames))];
        const std::string_view first = kFirstNames[rng.below(std::size(kFirstNames))];
        const int birthYear = 1965 + static_cast<int>(rng.below(38));
        const int entryYear = 2022 + static_cast<int>(rng.below(3));
        const int entryMonth = 1 + static_cast<int>(rng.below(12));
        const int exitYear = entryYear + static_cast<int>(rng.below(2));
        const int exitMonth = exitYear == entryYear ? entryMonth + static_cast<int>(rng.below(13 - entryMonth))
                                                    : 1 + static_cast<int>(rng.below(12));
        cells[0] = std::to_string(20000000 + n);
        cells[1] = std::string(surname);
        cells[2] = std::string(first);
        cells[3] = date(birthYear, 1 + static_cast<int>(rng.below(12)), 1 + static_cast<int>(rng.below(28)), !apogee);
        cells[4] = asciiLower(first) + "." + asciiLower(surname) + std::to_string(n % 997) + "@example.org";
        char phone[24];
        std::snprintf(phone, sizeof phone, "06 %02u %02u %02u %02u", unsigned(rng.below(100)),
                      unsigned(rng.below(100)), unsigned(rng.below(100)), unsigned(rng.below(100)));
        cells[5] = phone;
        char ine[16];
        std::snprintf(ine, sizeof ine, "%09llu%c%c", static_cast<unsigned long long>(100000000 + n % 899999999),
                      'A' + static_cast<char>(rng.below(26)), 'A' + static_cast<char>(rng.below(26)));
        cells[6] = ine;
        cells[7] = std::string(kCourses[rng.below(std::size(kCourses))]);
        cells[8] = "RNCP" + std::to_string(30000 + rng.below(9000));
        cells[9] = date(entryYear, entryMonth, 1 + static_cast<int>(rng.below(28)), !apogee);
        cells[10] = date(exitYear, exitMonth, 28, !apogee);
        cells[11] = std::string(kProgrammes[rng.below(std::size(kProgrammes))]);
        // The survey runs 6 months after exit (exit is always on the 28th, a valid day in every month).
        const int surveyMonth0 = exitMonth - 1 + 6;
        cells[12] = date(exitYear + surveyMonth0 / 12, 1 + surveyMonth0 % 12, 28, !apogee);
        const InsertionStatus& status = kInsertionStatuses[surveyRng.below(std::size(kInsertionStatuses))];
        cells[13] = std::string(status.code);
        cells[14] = status.durable ? "oui" : "non";

        if (rng.below(100) < invalidPercent) {
            ++invalid;
            switch (rng.below(6)) {
                case 0: cells[9] = apogee ? "31/02/2023" : "2023-02-31"; break;          // no such date
                case 1: cells[10] = date(entryYear - 1, 1, 1, !apogee); break;           // exit before entry
                case 2: cells[4] = "no-at-sign.example.org"; break;                      // bad e-mail
                case 3: cells[5] = "12345"; break;                                       // bad phone
                case 4: cells[1].clear(); break;                                         // missing name
                default: cells[6] = syntheticNir(rng); break;                            // NIR where INE belongs
            }
        }
        for (std::size_t i = 0; i < cells.size(); ++i) {
            if (i) out += delimiter;
            out += quote(cp1252 ? toWindows1252(cells[i]) : cells[i], delimiter);
        }
        out += "\r\n";
        if (out.size() > (1 << 20)) {
            std::fwrite(out.data(), 1, out.size(), stdout);
            out.clear();
        }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    std::cerr << "synthetic-export: " << rows << " rows, " << invalid << " deliberately invalid\n";
    return 0;
}
