#include "ledger/merkle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "ledger/leaf_hash.h"

namespace passerelle::ledger::merkle {
namespace {

// Known answers from the RFC 6962 reference implementation's tests:
//   google/certificate-transparency cpp/merkletree/merkle_tree_test.cc
//   (kInputs, kSHA256Roots, kSHA256Paths, kSHA256Proofs), repeated in
//   transparency-dev/merkle proof/verify_test.go, which adds the 6 -> 7 proof.
// Their leaf numbers are 1-based; here they are converted to 0-based indices.

const std::vector<std::string> kInputsHex = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
};

const char* const kEmptyRootHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// Root of the tree made of the first i + 1 inputs.
const std::vector<std::string> kRootsHex = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct InclusionVector {
    std::uint64_t index;
    std::uint64_t treeSize;
    std::vector<std::string> proofHex;
};

const std::vector<InclusionVector> kInclusionVectors = {
    {0, 1, {}},
    {0,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

struct ConsistencyVector {
    std::uint64_t oldSize;
    std::uint64_t newSize;
    std::vector<std::string> proofHex;
};

const std::vector<ConsistencyVector> kConsistencyVectors = {
    {1, 1, {}},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

Hash hashFromHex(const std::string& hex) {
    const std::vector<std::uint8_t> bytes = fromHex(hex, 32);
    Hash h;
    std::copy(bytes.begin(), bytes.end(), h.begin());
    return h;
}

std::string hexOf(const Hash& h) { return toHex(h); }

std::vector<std::string> hexOf(const std::vector<Hash>& hashes) {
    std::vector<std::string> out;
    for (const Hash& h : hashes) out.push_back(toHex(h));
    return out;
}

std::vector<Hash> hashesFromHex(const std::vector<std::string>& hex) {
    std::vector<Hash> out;
    for (const std::string& h : hex) out.push_back(hashFromHex(h));
    return out;
}

std::vector<Hash> referenceLeaves() {
    std::vector<Hash> leaves;
    for (const std::string& hex : kInputsHex) {
        const std::vector<std::uint8_t> bytes = fromHex(hex);
        leaves.push_back(leafHash(std::string(bytes.begin(), bytes.end())));
    }
    return leaves;
}

// Distinct leaves for the property tests: leafHash of one byte, as the reference tests do.
std::vector<Hash> sequentialLeaves(std::size_t n) {
    std::vector<Hash> leaves;
    for (std::size_t i = 0; i < n; ++i) leaves.push_back(leafHash(std::string(1, static_cast<char>(i))));
    return leaves;
}

std::vector<Hash> withBitFlipped(std::vector<Hash> proof, std::size_t element) {
    proof[element][0] ^= 0x08;
    return proof;
}

Hash someHash() { return hashFromHex("abacaba000000000000000000000000000000000000000000060061e00123456"); }

// --- Published test vectors -------------------------------------------------------

TEST(MerkleTest, EmptyTreeRootIsSha256OfTheEmptyString) {
    EXPECT_EQ(hexOf(emptyRoot()), kEmptyRootHex);
    EXPECT_EQ(hexOf(rootOf({})), kEmptyRootHex);
    EXPECT_EQ(hexOf(CompactTree().root()), kEmptyRootHex);
}

TEST(MerkleTest, RootsMatchReferenceVectors) {
    const std::vector<Hash> leaves = referenceLeaves();
    CompactTree compact;
    for (std::size_t size = 1; size <= leaves.size(); ++size) {
        compact.append(leaves[size - 1]);
        EXPECT_EQ(hexOf(rootOf(std::span(leaves).first(size))), kRootsHex[size - 1]) << "size " << size;
        EXPECT_EQ(hexOf(compact.root()), kRootsHex[size - 1]) << "size " << size;
    }
}

TEST(MerkleTest, InclusionProofsMatchReferenceVectors) {
    const std::vector<Hash> leaves = referenceLeaves();
    for (const InclusionVector& v : kInclusionVectors) {
        const auto tree = std::span(leaves).first(v.treeSize);
        EXPECT_EQ(hexOf(inclusionProof(tree, v.index)), v.proofHex)
            << "leaf " << v.index << " of " << v.treeSize;
        EXPECT_TRUE(verifyInclusion(leaves[v.index], v.index, v.treeSize, hashesFromHex(v.proofHex),
                                    hashFromHex(kRootsHex[v.treeSize - 1])))
            << "leaf " << v.index << " of " << v.treeSize;
    }
}

TEST(MerkleTest, ConsistencyProofsMatchReferenceVectors) {
    const std::vector<Hash> leaves = referenceLeaves();
    for (const ConsistencyVector& v : kConsistencyVectors) {
        const auto tree = std::span(leaves).first(v.newSize);
        EXPECT_EQ(hexOf(consistencyProof(tree, v.oldSize)), v.proofHex) << v.oldSize << " -> " << v.newSize;
        EXPECT_TRUE(verifyConsistency(v.oldSize, v.newSize, hashFromHex(kRootsHex[v.oldSize - 1]),
                                      hashFromHex(kRootsHex[v.newSize - 1]), hashesFromHex(v.proofHex)))
            << v.oldSize << " -> " << v.newSize;
    }
}

// --- Properties over every small tree ----------------------------------------------

constexpr std::size_t kMaxTreeSize = 70;

TEST(MerkleTest, EveryInclusionProofVerifiesAndEveryTamperingFails) {
    const std::vector<Hash> all = sequentialLeaves(kMaxTreeSize);
    for (std::uint64_t n = 1; n <= kMaxTreeSize; ++n) {
        const auto leaves = std::span(all).first(n);
        const Hash root = rootOf(leaves);
        for (std::uint64_t i = 0; i < n; ++i) {
            SCOPED_TRACE("leaf " + std::to_string(i) + " of " + std::to_string(n));
            const std::vector<Hash> proof = inclusionProof(leaves, i);
            ASSERT_TRUE(verifyInclusion(leaves[i], i, n, proof, root));

            for (std::size_t e = 0; e < proof.size(); ++e) {
                EXPECT_FALSE(verifyInclusion(leaves[i], i, n, withBitFlipped(proof, e), root))
                    << "element " << e;
            }
            for (std::uint64_t other = 0; other <= n; ++other) {
                if (other != i) {
                    EXPECT_FALSE(verifyInclusion(leaves[i], other, n, proof, root)) << "index " << other;
                }
            }
            // Sizes whose path has the same shape (leaf 0 of 7 and of 8) would verify:
            // the root, not the size, is what the proof binds. Halving or doubling the
            // size always changes the shape, as in the reference verifier tests.
            EXPECT_FALSE(verifyInclusion(leaves[i], i, n * 2, proof, root));
            EXPECT_FALSE(verifyInclusion(leaves[i], i, n / 2, proof, root));
            EXPECT_FALSE(verifyInclusion(leaves[i], i, 0, proof, root));
            EXPECT_FALSE(verifyInclusion(someHash(), i, n, proof, root));
            EXPECT_FALSE(verifyInclusion(leaves[i], i, n, proof, someHash()));

            std::vector<Hash> longer = proof;
            longer.push_back(root);
            EXPECT_FALSE(verifyInclusion(leaves[i], i, n, longer, root));
            longer.insert(longer.begin(), someHash());
            longer.pop_back();
            EXPECT_FALSE(verifyInclusion(leaves[i], i, n, longer, root));
            if (!proof.empty()) {
                const std::vector<Hash> shorter(proof.begin(), proof.end() - 1);
                EXPECT_FALSE(verifyInclusion(leaves[i], i, n, shorter, root));
            }
        }
    }
}

TEST(MerkleTest, EveryConsistencyProofVerifiesAndEveryTamperingFails) {
    const std::vector<Hash> all = sequentialLeaves(kMaxTreeSize);
    for (std::uint64_t n = 1; n <= kMaxTreeSize; ++n) {
        const auto leaves = std::span(all).first(n);
        const Hash newRoot = rootOf(leaves);
        for (std::uint64_t m = 1; m <= n; ++m) {
            SCOPED_TRACE(std::to_string(m) + " -> " + std::to_string(n));
            const Hash oldRoot = rootOf(leaves.first(m));
            const std::vector<Hash> proof = consistencyProof(leaves, m);
            ASSERT_TRUE(verifyConsistency(m, n, oldRoot, newRoot, proof));
            EXPECT_FALSE(verifyConsistency(m, n, oldRoot, someHash(), proof));
            EXPECT_FALSE(verifyConsistency(m, n, someHash(), newRoot, proof));

            if (m == n) {
                EXPECT_TRUE(proof.empty());
                EXPECT_FALSE(verifyConsistency(m, n, oldRoot, newRoot, std::vector<Hash>{oldRoot}));
                continue;
            }
            EXPECT_FALSE(verifyConsistency(m, n, newRoot, oldRoot, proof)) << "swapped roots";
            EXPECT_FALSE(verifyConsistency(m, n, oldRoot, newRoot, {})) << "empty proof";
            for (std::size_t e = 0; e < proof.size(); ++e) {
                EXPECT_FALSE(verifyConsistency(m, n, oldRoot, newRoot, withBitFlipped(proof, e)))
                    << "element " << e;
            }
            EXPECT_FALSE(verifyConsistency(m - 1, n, oldRoot, newRoot, proof));
            EXPECT_FALSE(verifyConsistency(m + 1, n, oldRoot, newRoot, proof));
            EXPECT_FALSE(verifyConsistency(m ^ 2, n, oldRoot, newRoot, proof));
            EXPECT_FALSE(verifyConsistency(m, n * 2, oldRoot, newRoot, proof));
            EXPECT_FALSE(verifyConsistency(m, n / 2, oldRoot, newRoot, proof));
            EXPECT_FALSE(verifyConsistency(n, m, newRoot, oldRoot, proof)) << "time travel";

            std::vector<Hash> longer = proof;
            longer.push_back(proof.back());
            EXPECT_FALSE(verifyConsistency(m, n, oldRoot, newRoot, longer)) << "extended";
            longer.pop_back();
            longer.insert(longer.begin(), proof.front());
            EXPECT_FALSE(verifyConsistency(m, n, oldRoot, newRoot, longer)) << "prepended";
            const std::vector<Hash> shorter(proof.begin(), proof.end() - 1);
            EXPECT_FALSE(verifyConsistency(m, n, oldRoot, newRoot, shorter)) << "truncated";
        }
    }
}

TEST(MerkleTest, ConsistencyFromTheEmptyTreeNeedsNoProof) {
    const std::vector<Hash> leaves = sequentialLeaves(5);
    EXPECT_TRUE(verifyConsistency(0, 5, emptyRoot(), rootOf(leaves), {}));
    EXPECT_TRUE(verifyConsistency(0, 0, emptyRoot(), emptyRoot(), {}));
    EXPECT_FALSE(verifyConsistency(0, 5, someHash(), rootOf(leaves), {}));
    EXPECT_FALSE(verifyConsistency(0, 5, emptyRoot(), rootOf(leaves), std::vector<Hash>{emptyRoot()}));
}

TEST(MerkleTest, ProofsOutsideTheTreeAreRefused) {
    const std::vector<Hash> leaves = sequentialLeaves(5);
    EXPECT_THROW(inclusionProof(leaves, 5), std::out_of_range);
    EXPECT_THROW(inclusionProof({}, 0), std::out_of_range);
    EXPECT_THROW(consistencyProof(leaves, 0), std::out_of_range);
    EXPECT_THROW(consistencyProof(leaves, 6), std::out_of_range);
    EXPECT_TRUE(consistencyProof(leaves, 5).empty());
    EXPECT_FALSE(verifyInclusion(leaves[0], 0, 0, {}, emptyRoot()));
    EXPECT_FALSE(verifyInclusion(leaves[0], 1, 1, {}, leaves[0]));
    EXPECT_TRUE(verifyInclusion(leaves[0], 0, 1, {}, leaves[0]));
}

// --- CompactTree ---------------------------------------------------------------------

TEST(MerkleTest, CompactTreeRootMatchesFullTreeForEveryPrefix) {
    const std::vector<Hash> leaves = sequentialLeaves(kMaxTreeSize);
    CompactTree tree;
    for (std::size_t size = 1; size <= leaves.size(); ++size) {
        tree.append(leaves[size - 1]);
        ASSERT_EQ(tree.size(), size);
        ASSERT_EQ(tree.frontier().size(), static_cast<std::size_t>(std::popcount(size)));
        ASSERT_EQ(hexOf(tree.root()), hexOf(rootOf(std::span(leaves).first(size)))) << "size " << size;
    }
}

TEST(MerkleTest, CompactTreeRebuiltFromStoredStateContinuesIdentically) {
    const std::vector<Hash> leaves = sequentialLeaves(kMaxTreeSize);
    CompactTree original;
    for (std::size_t stored = 0; stored <= leaves.size(); ++stored) {
        CompactTree rebuilt(original.size(), original.frontier());
        EXPECT_EQ(hexOf(rebuilt.root()), hexOf(original.root())) << "rebuilt at " << stored;
        for (std::size_t size = stored + 1; size <= leaves.size(); ++size) {
            rebuilt.append(leaves[size - 1]);
            ASSERT_EQ(hexOf(rebuilt.root()), hexOf(rootOf(std::span(leaves).first(size))))
                << "rebuilt at " << stored << ", size " << size;
        }
        if (stored < leaves.size()) original.append(leaves[stored]);
    }
}

TEST(MerkleTest, CompactTreeRefusesAFrontierThatDoesNotFitItsSize) {
    EXPECT_THROW(CompactTree(3, {someHash()}), std::invalid_argument);
    EXPECT_THROW(CompactTree(0, {someHash()}), std::invalid_argument);
    EXPECT_THROW(CompactTree(4, {}), std::invalid_argument);
    EXPECT_NO_THROW(CompactTree(5, {someHash(), someHash()}));
}

}  // namespace
}  // namespace passerelle::ledger::merkle
