// After a real transfer, one altered byte anywhere in the stored evidence —
// the Region's batch payload or manifest, an institution's ledger entry —
// makes `passerelle audit verify` fail and say where.

#include <sqlite3.h>

#include "../support/exchange_fixture.h"

namespace passerelle::integration {
namespace {

class TamperTest : public ExchangeTest {
protected:
    // One receipted batch, both gateways stopped.
    void transferOneBatch() {
        makePki({kRegion, "univ-montpellier"});
        writeRegionConfig({{"univ-montpellier"}});
        keysInit(regionConfig(), "region");
        const fs::path exportFile = makeExport("univ-montpellier", 30, 0, 9);
        inst_ = writeInstitutionConfig("univ-montpellier", "univ-montpellier", 0, exportFile);
        keysInit(inst_.config, "univ-montpellier");
        ASSERT_FALSE(HasFailure());
        auto region = startRegion();
        ASSERT_TRUE(region);
        inst_ = writeInstitutionConfig("univ-montpellier", "univ-montpellier", region->port(), exportFile);
        const auto r =
            passerelle({"transfer", "--config", inst_.config.string(), "--job", "survey-contact", "--json"},
                       "univ-montpellier.transfer");
        ASSERT_EQ(r.exitCode, 0) << r << "\n--- region log ---\n" << region->log();
        batchId_ = parseJson(r.out)->optValue<std::string>("batch_id", "");
        ASSERT_FALSE(batchId_.empty());
        // Stop only once the sink has the batch, so the Region is not writing anything.
        ASSERT_TRUE(waitUntil([&] { return sinkBatchFiles().size() == 1; }, 15s)) << region->log();
        stopGateway(region->process());
    }

    CommandResult audit(const fs::path& config, const std::string& label) {
        return passerelle({"audit", "verify", "--config", config.string()},
                          label + ".audit." + std::to_string(++audits_));
    }

    // Flips one bit of the byte in the middle of `file`; returns the original content.
    static std::string flipMiddleByte(const fs::path& file) {
        const std::string original = readFile(file);
        EXPECT_GT(original.size(), 2u) << file;
        std::string altered = original;
        altered[altered.size() / 2] = static_cast<char>(altered[altered.size() / 2] ^ 0x01);
        writeFile(file, altered);
        return original;
    }

    Institution inst_;
    std::string batchId_;
    int audits_ = 0;
};

TEST_F(TamperTest, AlteredPayloadOrManifestInTheRegionsInboxIsNamedByAuditVerify) {
    transferOneBatch();
    ASSERT_FALSE(HasFailure());
    const auto intact = audit(regionConfig(), "region");
    ASSERT_EQ(intact.exitCode, 0) << intact;

    const fs::path batchDir = regionDir() / "state" / "inbox" / batchId_;
    for (const char* name : {"payload.bin", "manifest.json"}) {
        SCOPED_TRACE(name);
        const std::string original = flipMiddleByte(batchDir / name);
        const auto altered = audit(regionConfig(), "region");
        EXPECT_EQ(altered.exitCode, 1) << altered;
        EXPECT_NE(altered.out.find("inbox batch " + batchId_), std::string::npos)
            << "audit verify must name the altered batch\n"
            << altered;

        writeFile(batchDir / name, original);
        const auto restored = audit(regionConfig(), "region");
        EXPECT_EQ(restored.exitCode, 0) << "restoring the byte must make the batch verify again\n"
                                        << restored;
    }
}

TEST_F(TamperTest, AlteredLedgerEntryOnTheInstitutionSideIsNamedByAuditVerify) {
    transferOneBatch();
    ASSERT_FALSE(HasFailure());
    const auto intact = audit(inst_.config, "univ-montpellier");
    ASSERT_EQ(intact.exitCode, 0) << intact;

    // What an administrator with write access to the file could do: drop the
    // append-only triggers, then change one character of one entry.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((inst_.stateDir() / "ledger.db").c_str(), &db), SQLITE_OK);
    struct Closer {
        sqlite3* db;
        ~Closer() { sqlite3_close(db); }
    } closer{db};
    ASSERT_EQ(
        sqlite3_exec(db, "DROP TRIGGER ledger_entries_no_update; DROP TRIGGER ledger_entries_no_delete;",
                     nullptr, nullptr, nullptr),
        SQLITE_OK)
        << sqlite3_errmsg(db);

    sqlite3_stmt* select = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT idx, entry FROM ledger_entries ORDER BY idx "
                                 "LIMIT 1 OFFSET ((SELECT COUNT(*) FROM ledger_entries) - 1) / 2",
                                 -1, &select, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    ASSERT_EQ(sqlite3_step(select), SQLITE_ROW);
    const sqlite3_int64 index = sqlite3_column_int64(select, 0);
    std::string entry(static_cast<const char*>(sqlite3_column_blob(select, 1)),
                      static_cast<std::size_t>(sqlite3_column_bytes(select, 1)));
    sqlite3_finalize(select);

    // A plausible forgery: one letter or digit becomes another, the entry stays well-formed text.
    std::size_t at = entry.size() / 2;
    while (at < entry.size() && !std::isalnum(static_cast<unsigned char>(entry[at]))) ++at;
    ASSERT_LT(at, entry.size());
    const char c = entry[at];
    entry[at] = std::isdigit(static_cast<unsigned char>(c)) ? (c == '0' ? '1' : '0') : (c == 'a' ? 'b' : 'a');

    sqlite3_stmt* update = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(db, "UPDATE ledger_entries SET entry = ? WHERE idx = ?", -1, &update, nullptr),
        SQLITE_OK);
    sqlite3_bind_blob(update, 1, entry.data(), static_cast<int>(entry.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(update, 2, index);
    ASSERT_EQ(sqlite3_step(update), SQLITE_DONE) << sqlite3_errmsg(db);
    sqlite3_finalize(update);
    ASSERT_EQ(sqlite3_changes(db), 1);

    const auto altered = audit(inst_.config, "univ-montpellier");
    EXPECT_EQ(altered.exitCode, 1) << altered;
    EXPECT_NE(altered.out.find("entry " + std::to_string(index)), std::string::npos)
        << "audit verify must name the altered entry (" << index << ")\n"
        << altered;
}

}  // namespace
}  // namespace passerelle::integration
