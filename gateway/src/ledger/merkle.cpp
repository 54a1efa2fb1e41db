#include "ledger/merkle.h"

#include <sodium.h>

#include <bit>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>

namespace passerelle::ledger::merkle {
namespace {

// k in RFC 9162 §2.1.1: the largest power of two smaller than n (n >= 2). The left
// subtree D[0:k] is therefore always perfect.
std::uint64_t splitPoint(std::uint64_t n) { return std::bit_floor(n - 1); }

// PATH(m, D[n]), §2.1.3.1: the path in the half holding leaf m, then the root of the
// other half. The sibling ranges are disjoint, so a whole path costs O(n) hashes.
void appendPath(std::span<const Hash> leaves, std::uint64_t m, std::vector<Hash>& out) {
    if (leaves.size() <= 1) return;
    const std::uint64_t k = splitPoint(leaves.size());
    if (m < k) {
        appendPath(leaves.first(k), m, out);
        out.push_back(rootOf(leaves.subspan(k)));
    } else {
        appendPath(leaves.subspan(k), m - k, out);
        out.push_back(rootOf(leaves.first(k)));
    }
}

// SUBPROOF(m, D[n], b), §2.1.4.1. `isOldTree` is b: true while D[0:m] is the old tree
// itself, whose root the verifier already holds and so is left out of the proof.
void appendSubproof(std::span<const Hash> leaves, std::uint64_t m, bool isOldTree, std::vector<Hash>& out) {
    if (m == leaves.size()) {
        if (!isOldTree) out.push_back(rootOf(leaves));
        return;
    }
    const std::uint64_t k = splitPoint(leaves.size());
    if (m <= k) {
        // The old tree lies in the left half; the right half is new.
        appendSubproof(leaves.first(k), m, isOldTree, out);
        out.push_back(rootOf(leaves.subspan(k)));
    } else {
        // The left half is shared; the old tree's remainder lies in the right half.
        appendSubproof(leaves.subspan(k), m - k, false, out);
        out.push_back(rootOf(leaves.first(k)));
    }
}

// Both verifiers walk up the new tree with fn (the node being proven) and sn (the
// last node at the same level). When fn == sn with fn a left child, the node has no
// sibling at this level and is carried up unchanged: skip those levels.
void skipLevelsWithoutSibling(std::uint64_t& fn, std::uint64_t& sn) {
    while (fn != 0 && (fn & 1) == 0) {
        fn >>= 1;
        sn >>= 1;
    }
}

}  // namespace

Hash emptyRoot() {
    Hash out;
    const unsigned char nothing = 0;
    crypto_hash_sha256(out.data(), &nothing, 0);
    return out;
}

Hash nodeHash(const Hash& left, const Hash& right) {
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    const unsigned char prefix = 0x01;
    crypto_hash_sha256_update(&state, &prefix, 1);
    crypto_hash_sha256_update(&state, left.data(), left.size());
    crypto_hash_sha256_update(&state, right.data(), right.size());
    Hash out;
    crypto_hash_sha256_final(&state, out.data());
    return out;
}

// MTH(D[n]), §2.1.1. Each leaf is visited once: O(n) hashes, O(log n) recursion depth.
Hash rootOf(std::span<const Hash> leaves) {
    if (leaves.empty()) return emptyRoot();
    if (leaves.size() == 1) return leaves.front();
    const std::uint64_t k = splitPoint(leaves.size());
    return nodeHash(rootOf(leaves.first(k)), rootOf(leaves.subspan(k)));
}

CompactTree::CompactTree(std::uint64_t size, std::vector<Hash> frontier)
    : size_(size), frontier_(std::move(frontier)) {
    const auto expected = static_cast<std::size_t>(std::popcount(size_));
    if (frontier_.size() != expected) {
        throw std::invalid_argument("Merkle frontier has " + std::to_string(frontier_.size()) +
                                    " hashes but a tree of " + std::to_string(size_) + " leaves needs " +
                                    std::to_string(expected) + "; the stored tree state is corrupt");
    }
}

void CompactTree::append(const Hash& leaf) {
    // Binary increment: every trailing 1 bit of size_ is a perfect subtree as tall as
    // the carry, so the two merge into one twice as tall.
    Hash carry = leaf;
    for (std::uint64_t s = size_; (s & 1) == 1; s >>= 1) {
        carry = nodeHash(frontier_.back(), carry);
        frontier_.pop_back();
    }
    frontier_.push_back(carry);
    ++size_;
}

Hash CompactTree::root() const {
    if (frontier_.empty()) return emptyRoot();
    // MTH splits off the largest perfect subtree on the left, so the root folds the
    // frontier from the right: H(f0, H(f1, ... H(fk-1, fk))).
    Hash r = frontier_.back();
    for (auto it = std::next(frontier_.rbegin()); it != frontier_.rend(); ++it) r = nodeHash(*it, r);
    return r;
}

std::vector<Hash> inclusionProof(std::span<const Hash> leaves, std::uint64_t index) {
    if (index >= leaves.size()) {
        throw std::out_of_range("inclusion proof asked for leaf " + std::to_string(index) + " of a tree of " +
                                std::to_string(leaves.size()) + " leaves");
    }
    std::vector<Hash> proof;
    appendPath(leaves, index, proof);
    return proof;
}

// §2.1.3.2: rebuild the root from the leaf, taking each proof element as the left or
// right sibling according to the leaf's position, and check the proof is used up.
bool verifyInclusion(const Hash& leaf, std::uint64_t index, std::uint64_t treeSize,
                     std::span<const Hash> proof, const Hash& root) {
    if (index >= treeSize) return false;
    std::uint64_t fn = index;
    std::uint64_t sn = treeSize - 1;
    Hash r = leaf;
    for (const Hash& p : proof) {
        if (sn == 0) return false;  // more elements than levels
        if ((fn & 1) == 1 || fn == sn) {
            r = nodeHash(p, r);  // p is the left sibling
            skipLevelsWithoutSibling(fn, sn);
        } else {
            r = nodeHash(r, p);  // p is the right sibling
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && r == root;
}

std::vector<Hash> consistencyProof(std::span<const Hash> leaves, std::uint64_t oldSize) {
    if (oldSize == 0 || oldSize > leaves.size()) {
        throw std::out_of_range("consistency proof asked from size " + std::to_string(oldSize) +
                                " to a tree of " + std::to_string(leaves.size()) +
                                " leaves; the old size must be in 1.." + std::to_string(leaves.size()));
    }
    std::vector<Hash> proof;
    appendSubproof(leaves, oldSize, true, proof);
    return proof;
}

// §2.1.4.2: fold the proof into both the old root (fr) and the new root (sr) at once.
// Elements left of the old tree's right edge enter both; elements right of it, only sr.
bool verifyConsistency(std::uint64_t oldSize, std::uint64_t newSize, const Hash& oldRoot, const Hash& newRoot,
                       std::span<const Hash> proof) {
    if (oldSize > newSize) return false;
    if (oldSize == newSize) return proof.empty() && oldRoot == newRoot;
    if (oldSize == 0) return proof.empty() && oldRoot == emptyRoot();
    if (proof.empty()) return false;

    // Step 2: a perfect old tree is itself a node of the new tree, so the proof omits
    // it and the walk starts from the old root instead of proof[0].
    std::span<const Hash> rest = proof;
    Hash fr = oldRoot;
    if (!std::has_single_bit(oldSize)) {
        fr = proof.front();
        rest = proof.subspan(1);
    }
    Hash sr = fr;

    std::uint64_t fn = oldSize - 1;
    std::uint64_t sn = newSize - 1;
    // Step 4: start at the top of the perfect subtree that ends with the old last leaf.
    while ((fn & 1) == 1) {
        fn >>= 1;
        sn >>= 1;
    }
    for (const Hash& c : rest) {
        if (sn == 0) return false;  // more elements than levels
        if ((fn & 1) == 1 || fn == sn) {
            fr = nodeHash(c, fr);
            sr = nodeHash(c, sr);
            skipLevelsWithoutSibling(fn, sn);
        } else {
            sr = nodeHash(sr, c);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && fr == oldRoot && sr == newRoot;
}

}  // namespace passerelle::ledger::merkle
