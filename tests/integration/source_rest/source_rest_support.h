#pragma once
// What every source.rest test shares: one development PKI per test program,
// a fake API on 127.0.0.1, secret files written with mode 0600, and the real
// plugin (dlopened through the gateway's own loader) drained into strings.
// All data is synthetic; the "secrets" are test strings that must never
// appear in any message.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../support/child_process.h"
#include "common/errors.h"
#include "fake_rest_api.h"
#include "plugin/plugin_host.h"

namespace passerelle::integration::rest {

namespace fs = std::filesystem;
using plugin::Settings;
using Row = std::vector<std::string>;

inline constexpr const char* kApiParty = "pegase-api";
inline constexpr const char* kClientParty = "univ-montpellier";
inline constexpr const char* kPassword = "S3cret-Test-Pass";
inline constexpr const char* kUsername = "svc-passerelle";

struct RowError {
    std::uint64_t line;
    std::uint64_t column;
    std::string message;
};

struct Drained {
    std::vector<std::string> columns;
    std::vector<Row> rows;
    std::vector<std::uint64_t> lines;
    std::vector<RowError> errors;
    std::string fatal;  // empty: the source ended normally
    bool opened = false;
};

// One synthetic learner as a Pégase-like record.
inline std::string learner(const std::string& code, const std::string& name,
                           const std::string& exit = "2025-06-30") {
    return R"({"code":")" + code + R"(","identite":{"nom_naissance":")" + name +
           R"(","prenoms":"Ana"},"adresses":[{"mail":")" + code + R"(@example.org"}],"sortie":")" + exit +
           R"("})";
}

inline std::string listOf(const std::vector<std::string>& records) {
    std::string out = "[";
    for (std::size_t i = 0; i < records.size(); ++i) out += (i ? "," : "") + records[i];
    return out + "]";
}

// A page as Spring-style APIs answer: {"content": [...], "totalPages": n}.
inline std::string pageOf(const std::vector<std::string>& records, int totalPages = 0) {
    return R"({"content":)" + listOf(records) + R"(,"totalPages":)" + std::to_string(totalPages) + "}";
}

inline Row learnerRow(const std::string& code, const std::string& name) {
    return {code, code + "@example.org", name};  // columns CODE, MAIL, NOM (sorted)
}

class SourceRestTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        std::string pattern = (fs::temp_directory_path() / "passerelle-rest-pki-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        pkiRoot() = pattern;
        const auto r = runCommand({(fs::path(PASSERELLE_SOURCE_DIR) / "certs" / "make-dev-pki").string(),
                                   (pkiRoot() / "pki").string(), kApiParty, kClientParty, "region-occitanie"},
                                  pkiRoot() / "make-dev-pki", 60s);
        ASSERT_EQ(r.exitCode, 0) << r.err;
    }
    static void TearDownTestSuite() {
        std::error_code ec;
        fs::remove_all(pkiRoot(), ec);
    }
    static fs::path& pkiRoot() {
        static fs::path root;
        return root;
    }
    static fs::path pki() { return pkiRoot() / "pki"; }

    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "passerelle-rest-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override {
        api_.reset();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    FakeRestApi& api(bool requireClientCertificate = false) {
        if (!api_) {
            api_ = std::make_unique<FakeRestApi>(pki() / (std::string(kApiParty) + ".crt"),
                                                 pki() / (std::string(kApiParty) + ".key"), pki() / "ca.crt",
                                                 requireClientCertificate);
        }
        return *api_;
    }

    fs::path secretFile(const std::string& name, const std::string& content) {
        const fs::path file = dir_ / name;
        writeFile(file, content);
        fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
        return file;
    }

    // The settings every test starts from: the API's CA, fast retries, three columns.
    Settings baseSettings(const std::string& path, const std::string& pagination = "page") {
        return {{"url", api().url(path)},          {"ca_file", (pki() / "ca.crt").string()},
                {"pagination", pagination},        {"retry_delay_ms", "10"},
                {"column.CODE", "code"},           {"column.NOM", "identite.nom_naissance"},
                {"column.MAIL", "adresses.0.mail"}};
    }

    static Drained drain(const Settings& settings, const psl_source_filter* filter = nullptr) {
        Drained out;
        try {
            auto reader =
                plugin::SourcePlugin::load(PASSERELLE_PLUGIN_DIR, "source.rest")->open(settings, filter);
            out.opened = true;
            for (std::string_view c : reader->columns()) out.columns.emplace_back(c);
            psl_row row{};
            psl_error err{};
            for (;;) {
                const auto step = reader->next(row, err);
                if (step == plugin::SourceReader::Step::End) break;
                if (step == plugin::SourceReader::Step::RowError) {
                    out.errors.push_back({err.line, err.column, err.message});
                    continue;
                }
                Row cells;
                for (std::size_t i = 0; i < row.cell_count; ++i)
                    cells.emplace_back(row.cells[i].data, row.cells[i].size);
                out.rows.push_back(std::move(cells));
                out.lines.push_back(row.line);
            }
        } catch (const PluginError& e) {
            out.fatal = e.what();
        }
        return out;
    }

    // No secret, token, query string or data value may appear in a message.
    static void expectNoSecretIn(const std::string& message, const std::vector<std::string>& secrets) {
        for (const std::string& s : secrets) {
            EXPECT_EQ(message.find(s), std::string::npos) << "'" << s << "' leaked into: " << message;
        }
        EXPECT_EQ(message.find('?'), std::string::npos) << "a query string leaked into: " << message;
        EXPECT_EQ(message.find(kPassword), std::string::npos) << message;
    }

    fs::path dir() const { return dir_; }

private:
    fs::path dir_;
    std::unique_ptr<FakeRestApi> api_;
};

}  // namespace passerelle::integration::rest
