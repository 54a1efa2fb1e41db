#pragma once
// The RFC 9162 (Certificate Transparency v2; same tree as RFC 6962) Merkle tree
// over ledger entries: tree head, audit paths and consistency proofs. Pure
// functions over leaf hashes (leafHash() in leaf_hash.h); storage is elsewhere.
//
// Sizes and indices are 0-based counts of leaves: index i is the (i+1)-th entry.

#include <cstdint>
#include <span>
#include <vector>

#include "ledger/leaf_hash.h"

namespace passerelle::ledger::merkle {

// SHA-256 of the empty string: the root of the empty tree (RFC 9162 §2.1.1).
Hash emptyRoot();
// SHA-256(0x01 || left || right): an interior node (RFC 9162 §2.1.1).
Hash nodeHash(const Hash& left, const Hash& right);
// MTH(D[n]) over leaf hashes (already leafHash()ed).
Hash rootOf(std::span<const Hash> leaves);

// The right edge of a tree: O(log n) append and root, persistable as (size, frontier).
class CompactTree {
public:
    CompactTree() = default;
    // Rebuilds from size() and frontier() as stored; throws std::invalid_argument if the
    // frontier length does not match popcount(size).
    CompactTree(std::uint64_t size, std::vector<Hash> frontier);

    void append(const Hash& leaf);
    std::uint64_t size() const { return size_; }
    Hash root() const;  // emptyRoot() when size() == 0
    // Roots of the perfect subtrees, largest (leftmost) first: one per set bit of size().
    const std::vector<Hash>& frontier() const { return frontier_; }

private:
    std::uint64_t size_ = 0;
    std::vector<Hash> frontier_;
};

// RFC 9162 §2.1.3.1 PATH(m, D[n]): audit path for leaf `index` in the tree made of
// `leaves`. Throws std::out_of_range if index >= leaves.size().
std::vector<Hash> inclusionProof(std::span<const Hash> leaves, std::uint64_t index);
// RFC 9162 §2.1.3.2 verification. Returns false (never throws) on any mismatch,
// including index >= treeSize or a proof of the wrong length.
bool verifyInclusion(const Hash& leaf, std::uint64_t index, std::uint64_t treeSize,
                     std::span<const Hash> proof, const Hash& root);

// RFC 9162 §2.1.4.1 PROOF(m, D[n]) with m = oldSize, n = leaves.size(). Throws
// std::out_of_range unless 0 < oldSize <= n; oldSize == n gives an empty proof.
std::vector<Hash> consistencyProof(std::span<const Hash> leaves, std::uint64_t oldSize);
// RFC 9162 §2.1.4.2 verification. Returns false on mismatch or malformed input, never
// throws. Equal sizes need an empty proof and equal roots; oldSize == 0 needs an empty
// proof and oldRoot == emptyRoot() (the empty tree is a prefix of every tree).
bool verifyConsistency(std::uint64_t oldSize, std::uint64_t newSize, const Hash& oldRoot, const Hash& newRoot,
                       std::span<const Hash> proof);

}  // namespace passerelle::ledger::merkle
