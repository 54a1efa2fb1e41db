#pragma once
// A gateway's state.db read the way an operator would with sqlite3: the
// institution's outbox and the Region's inbox, without the gateway's code.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace passerelle::integration {

namespace fs = std::filesystem;

using DbRow = std::map<std::string, std::string>;

// Every row of `sql` by column name; nullopt (and `error`) when the database
// cannot be read now (busy, or not created yet). Read-only: the gateways own it.
inline std::optional<std::vector<DbRow>> queryState(const fs::path& db, const std::string& sql,
                                                    std::string* error = nullptr) {
    if (!fs::exists(db)) {
        if (error) *error = db.string() + " does not exist";
        return std::nullopt;
    }
    sqlite3* handle = nullptr;
    if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        if (error) *error = std::string("cannot open ") + db.string() + ": " + sqlite3_errmsg(handle);
        sqlite3_close(handle);
        return std::nullopt;
    }
    sqlite3_busy_timeout(handle, 5000);
    sqlite3_stmt* stmt = nullptr;
    std::vector<DbRow> rows;
    int rc = sqlite3_prepare_v2(handle, sql.c_str(), -1, &stmt, nullptr);
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        rc = sqlite3_step(stmt);
        if (rc != SQLITE_ROW) break;
        DbRow row;
        for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
            row[sqlite3_column_name(stmt, i)] = text ? text : "";
        }
        rows.push_back(std::move(row));
    }
    const bool ok = rc == SQLITE_DONE;
    if (!ok && error) *error = std::string("cannot read ") + db.string() + ": " + sqlite3_errmsg(handle);
    sqlite3_finalize(stmt);
    sqlite3_close(handle);
    if (!ok) return std::nullopt;
    return rows;
}

// An outbox row as the checks need it (state.db, table outbox).
struct OutboxEntry {
    std::string batchId;
    std::string job;
    std::string status;  // pending | receipted | dead-letter
    std::uint64_t recordCount = 0;
    bool holdsReceipt = false;  // the signed receipt and its signature are kept
    std::string attempts;
    std::string lastError;
};

inline std::optional<std::vector<OutboxEntry>> readOutbox(const fs::path& stateDir,
                                                          std::string* error = nullptr) {
    const auto rows = queryState(stateDir / "state.db", "SELECT * FROM outbox ORDER BY batch_id", error);
    if (!rows) return std::nullopt;
    std::vector<OutboxEntry> out;
    for (const DbRow& r : *rows) {
        auto get = [&r](const char* column) {
            const auto it = r.find(column);
            return it == r.end() ? std::string() : it->second;
        };
        OutboxEntry e;
        e.batchId = get("batch_id");
        e.job = get("job");
        e.status = get("status");
        e.recordCount = std::stoull("0" + get("record_count"));
        e.holdsReceipt = !get("receipt").empty() && !get("receipt_signature").empty();
        e.attempts = get("attempts");
        e.lastError = get("last_error");
        out.push_back(std::move(e));
    }
    return out;
}

// An inbox row (the Region's state.db, table inbox).
struct InboxEntry {
    std::string batchId;
    std::string sender;
    std::string status;  // stored | delivered (to the sink)
    std::uint64_t recordCount = 0;
    std::string sinkError;
};

inline std::optional<std::vector<InboxEntry>> readInbox(const fs::path& stateDir,
                                                        std::string* error = nullptr) {
    const auto rows = queryState(stateDir / "state.db", "SELECT * FROM inbox ORDER BY batch_id", error);
    if (!rows) return std::nullopt;
    std::vector<InboxEntry> out;
    for (const DbRow& r : *rows) {
        auto get = [&r](const char* column) {
            const auto it = r.find(column);
            return it == r.end() ? std::string() : it->second;
        };
        out.push_back({get("batch_id"), get("sender"), get("status"), std::stoull("0" + get("record_count")),
                       get("sink_error")});
    }
    return out;
}

}  // namespace passerelle::integration
