// Template body of merge_symbols (included by merge.hpp only).
#pragma once

#include <algorithm>
#include <queue>

#include "tokenizer/pretokenize.hpp"

namespace ql::tok {

namespace merge_detail {

struct Symbol {
    uint32_t begin = 0, length = 0;  // length 0: absorbed by its left neighbour
    int32_t prev = -1, next = -1;
};

struct Candidate {
    double priority = 0;
    int32_t left = 0, right = 0;
    uint32_t left_length = 0, right_length = 0;  // lengths when queued, to detect stale entries
};

struct WorseCandidate {
    bool operator()(const Candidate& a, const Candidate& b) const {
        if (a.priority != b.priority) return a.priority < b.priority;
        return a.left > b.left;
    }
};

}  // namespace merge_detail

template <typename PairPriority>
std::vector<Span> merge_symbols(std::string_view text, const PairPriority& pair_priority) {
    using merge_detail::Candidate;
    using merge_detail::Symbol;
    std::vector<Symbol> symbols;  // [n_chars]
    for (size_t pos = 0; pos < text.size();) {
        const size_t n = std::min(text.size() - pos,
                                  utf8_sequence_length(static_cast<unsigned char>(text[pos])));
        const auto index = static_cast<int32_t>(symbols.size());
        symbols.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(n), index - 1, -1});
        if (index > 0) symbols[index - 1].next = index;
        pos += n;
    }
    auto candidate = [&](int32_t left, int32_t right) -> std::optional<Candidate> {
        if (left < 0 || right < 0) return std::nullopt;
        const Symbol& l = symbols[left];
        const Symbol& r = symbols[right];
        auto priority =
            pair_priority(text.substr(l.begin, l.length), text.substr(r.begin, r.length));
        if (!priority) return std::nullopt;
        return Candidate{*priority, left, right, l.length, r.length};
    };
    std::vector<Candidate> initial;  // heapified at once: O(n) instead of n pushes
    initial.reserve(symbols.size());
    for (size_t i = 1; i < symbols.size(); ++i) {
        if (auto c = candidate(static_cast<int32_t>(i - 1), static_cast<int32_t>(i))) {
            initial.push_back(*c);
        }
    }
    std::priority_queue<Candidate, std::vector<Candidate>, merge_detail::WorseCandidate> queue(
        merge_detail::WorseCandidate{}, std::move(initial));
    auto consider = [&](int32_t left, int32_t right) {
        if (auto c = candidate(left, right)) queue.push(*c);
    };
    while (!queue.empty()) {
        const Candidate c = queue.top();
        queue.pop();
        Symbol& l = symbols[c.left];
        Symbol& r = symbols[c.right];
        if (l.length != c.left_length || r.length != c.right_length || r.length == 0) continue;
        l.length += r.length;
        r.length = 0;
        l.next = r.next;
        if (r.next >= 0) symbols[r.next].prev = c.left;
        consider(l.prev, c.left);
        consider(c.left, l.next);
    }
    std::vector<Span> out;
    for (const Symbol& s : symbols) {
        if (s.length > 0) out.push_back({s.begin, s.length});
    }
    return out;
}

}  // namespace ql::tok
