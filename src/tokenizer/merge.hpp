// Greedy pairwise merging shared by SentencePiece and BPE: start from one
// symbol per UTF-8 character, repeatedly merge the adjacent pair with the
// best priority (ties: the leftmost pair), until no pair can merge.
// A priority queue with lazy invalidation keeps this O(n log n) per word.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ql::tok {

struct Span {
    uint32_t begin = 0, length = 0;  // byte range inside the merged text
};

// `pair_priority(left, right)` gives the priority of merging two adjacent
// symbols (higher merges first), or nullopt if they cannot merge.
template <typename PairPriority>
std::vector<Span> merge_symbols(std::string_view text, const PairPriority& pair_priority);

}  // namespace ql::tok

#include "tokenizer/merge_impl.hpp"
