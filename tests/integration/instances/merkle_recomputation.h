#pragma once
// A ledger's Merkle root recomputed from its PostgreSQL rows without the gateway's
// code: RFC 9162 §2.1.1, leaf = SHA-256(0x00 || entry bytes), node = SHA-256(0x01 ||
// left || right), a tree of n > 1 leaves split at the largest power of two below n.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <sodium.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "../support/postgres_server.h"

namespace passerelle::integration {

using Sha256 = std::array<unsigned char, crypto_hash_sha256_BYTES>;

inline std::string hexOf(std::span<const unsigned char> bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

inline std::string bytesOfHex(const std::string& hex) {
    auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out += static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1]));
    return out;
}

inline Sha256 sha256Of(unsigned char prefix, std::string_view a, std::string_view b = {}) {
    Sha256 out{};
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    crypto_hash_sha256_update(&state, &prefix, 1);
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(a.data()), a.size());
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(b.data()), b.size());
    crypto_hash_sha256_final(&state, out.data());
    return out;
}

inline std::string_view asText(const Sha256& h) {
    return {reinterpret_cast<const char*>(h.data()), h.size()};
}

inline Sha256 leafOf(std::string_view entry) { return sha256Of(0x00, entry); }
inline Sha256 nodeOf(const Sha256& left, const Sha256& right) {
    return sha256Of(0x01, asText(left), asText(right));
}

// MTH(D[n]) by its recursive definition.
inline Sha256 merkleRoot(std::span<const Sha256> leaves) {
    if (leaves.empty()) {
        Sha256 empty{};
        crypto_hash_sha256(empty.data(), nullptr, 0);
        return empty;
    }
    if (leaves.size() == 1) return leaves.front();
    std::size_t k = 1;
    while (k * 2 < leaves.size()) k *= 2;
    return nodeOf(merkleRoot(leaves.first(k)), merkleRoot(leaves.subspan(k)));
}

// One row of ledger_entries, as stored.
struct LedgerRow {
    std::uint64_t idx = 0;
    std::optional<std::string> entry;  // nullopt once retention blanked it
    std::string leafHash, rootHash;    // hex
    Poco::JSON::Object::Ptr parsed;    // the entry's JSON, null when blank or not JSON
    std::string operation, batchId, time;
};

inline std::vector<LedgerRow> readLedgerRows(const std::string& conninfo) {
    std::vector<LedgerRow> rows;
    for (const PgRow& r : PostgresForTest::query(
             conninfo,
             "SELECT idx, encode(entry, 'hex'), encode(leaf_hash, 'hex'), encode(root_hash, 'hex')"
             " FROM ledger_entries ORDER BY idx")) {
        LedgerRow row;
        row.idx = std::stoull(r.at(0).value_or("0"));
        if (r.at(1)) row.entry = bytesOfHex(*r.at(1));
        row.leafHash = r.at(2).value_or("");
        row.rootHash = r.at(3).value_or("");
        if (row.entry) {
            try {
                row.parsed = Poco::JSON::Parser().parse(*row.entry).extract<Poco::JSON::Object::Ptr>();
                row.operation = row.parsed->optValue<std::string>("operation", "");
                row.batchId = row.parsed->optValue<std::string>("batch_id", "");
                row.time = row.parsed->optValue<std::string>("time", "");
            } catch (const Poco::Exception&) {
                row.parsed = nullptr;
            }
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

// What the recomputation found: the root over every row, and the first row whose
// stored index, leaf hash or root-after-it does not match the bytes before it.
struct Recomputation {
    std::string root;  // hex
    std::uint64_t entries = 0;
    std::string problem;  // empty when every row matches
};

inline Recomputation recomputeLedger(const std::vector<LedgerRow>& rows) {
    Recomputation r;
    std::vector<Sha256> leaves;
    // The right edge of the tree (perfect subtrees, largest first) gives each prefix's
    // root in O(log n): a second way to the same tree, checked against each row's root_hash.
    std::vector<std::pair<std::uint64_t, Sha256>> edge;
    for (const LedgerRow& row : rows) {
        const std::string at =
            "row " + std::to_string(leaves.size() + 1) + " (idx " + std::to_string(row.idx) + ")";
        if (r.problem.empty() && row.idx != leaves.size() + 1) r.problem = at + ": not the next index";
        Sha256 leaf{};
        if (row.entry) {
            leaf = leafOf(*row.entry);
            if (r.problem.empty() && hexOf(leaf) != row.leafHash)
                r.problem = at + ": leaf hash does not match its bytes";
            if (r.problem.empty() &&
                (!row.parsed || row.parsed->optValue<std::uint64_t>("index", 0) != row.idx))
                r.problem = at + ": its entry does not name this index";
        } else {
            const std::string bytes = bytesOfHex(row.leafHash);  // blanked: only the stored leaf remains
            std::copy_n(bytes.begin(), std::min(bytes.size(), leaf.size()), leaf.begin());
        }
        leaves.push_back(leaf);
        edge.emplace_back(1, leaf);
        while (edge.size() >= 2 && edge[edge.size() - 2].first == edge.back().first) {
            const Sha256 merged = nodeOf(edge[edge.size() - 2].second, edge.back().second);
            const std::uint64_t size = edge.back().first * 2;
            edge.pop_back();
            edge.back() = {size, merged};
        }
        Sha256 prefixRoot = edge.back().second;
        for (std::size_t i = edge.size() - 1; i-- > 0;) prefixRoot = nodeOf(edge[i].second, prefixRoot);
        if (r.problem.empty() && hexOf(prefixRoot) != row.rootHash)
            r.problem = at + ": stored root does not match the tree of the rows up to it";
    }
    r.entries = leaves.size();
    r.root = hexOf(merkleRoot(leaves));
    return r;
}

}  // namespace passerelle::integration
