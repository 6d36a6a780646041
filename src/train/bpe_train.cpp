// Byte-level BPE training: pre-tokenize and count unique pieces, then merge
// the most frequent adjacent pair until the vocabulary is full, with
// incremental pair counts (pair -> count, pair -> words holding it) and a
// max-heap whose stale entries are skipped when popped.
#include "train/bpe_train.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "tokenizer/pretokenize.hpp"
#include "util/error.hpp"
#include "util/threads.hpp"

namespace ql::train {

namespace {

// ---- Pre-tokenization -------------------------------------------------------

struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using PieceCounts = std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>>;

// Counts the pieces of one document; the end-of-text text is never part of a
// piece (the tokenizer matches it as a control token before pre-tokenizing).
void count_document(const tok::PreTokenizer& pre, std::string_view doc, std::string_view eos,
                    PieceCounts& counts) {
    while (!doc.empty()) {
        const size_t cut = doc.find(eos);
        const std::string text = tok::sanitize_utf8(doc.substr(0, cut));
        for (const auto& [begin, end] : pre.split(text)) {
            const std::string_view piece(text.data() + begin, end - begin);
            auto it = counts.find(piece);
            if (it == counts.end()) it = counts.emplace(std::string(piece), 0).first;
            ++it->second;
        }
        if (cut == std::string_view::npos) break;
        doc.remove_prefix(cut + eos.size());
    }
}

PieceCounts count_pieces(const std::vector<std::string_view>& docs, const tok::PreTokenizer& pre,
                         const BpeTrainOptions& options) {
    PieceCounts total;
    std::mutex mutex;
    const int n_threads = options.n_threads > 0 ? options.n_threads : default_thread_count();
    parallel_for(static_cast<int64_t>(docs.size()), n_threads, [&](int64_t begin, int64_t end) {
        PieceCounts local;
        for (int64_t i = begin; i < end; ++i)
            count_document(pre, docs[static_cast<size_t>(i)], options.eos, local);
        std::lock_guard<std::mutex> lock(mutex);
        if (total.empty()) {
            total.swap(local);
            return;
        }
        for (auto& [piece, n] : local) total[piece] += n;
    });
    return total;
}

// ---- Words: the unique pieces as token sequences ------------------------------

struct Words {
    std::vector<int32_t> symbols;  // all words back to back
    std::vector<size_t> offset;    // [n_words] start in symbols
    std::vector<uint32_t> length;  // [n_words] current symbols (shrinks with merges)
    std::vector<int64_t> count;    // [n_words] occurrences in the text
};

Words make_words(const PieceCounts& counts) {
    Words w;
    w.offset.reserve(counts.size());
    for (const auto& [piece, n] : counts) {
        w.offset.push_back(w.symbols.size());
        w.length.push_back(static_cast<uint32_t>(piece.size()));
        w.count.push_back(n);
        for (char c : piece) w.symbols.push_back(static_cast<unsigned char>(c));
    }
    return w;
}

// ---- Pair statistics and the merge loop ---------------------------------------

using PairKey = uint64_t;
constexpr PairKey pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
}
constexpr int32_t key_left(PairKey k) {
    return static_cast<int32_t>(k >> 32);
}
constexpr int32_t key_right(PairKey k) {
    return static_cast<int32_t>(k & 0xFFFFFFFFu);
}

struct KeyHash {
    size_t operator()(PairKey k) const {  // splitmix64 finalizer
        k ^= k >> 30;
        k *= 0xBF58476D1CE4E5B9ull;
        k ^= k >> 27;
        k *= 0x94D049BB133111EBull;
        return static_cast<size_t>(k ^ (k >> 31));
    }
};

struct HeapEntry {
    int64_t count;
    PairKey key;
};

class BpeMerger {
  public:
    BpeMerger(Words words, int64_t min_count) : words_(std::move(words)), min_count_(min_count) {
        for (int b = 0; b < 256; ++b) add_token(std::string(1, static_cast<char>(b)));
        count_all_pairs();
    }

    // Learns merges until `n_tokens` tokens exist or no pair is frequent enough.
    void run(int64_t n_tokens, int64_t vocab_size, const BpeProgress& progress) {
        while (static_cast<int64_t>(bytes_.size()) < n_tokens) {
            const auto best = pop_best();
            if (!best) break;
            merge(*best);
            if (progress) progress(static_cast<int64_t>(bytes_.size()), vocab_size);
        }
    }

    const std::vector<std::string>& token_bytes() const { return bytes_; }
    const std::vector<PairKey>& merges() const { return merges_; }

  private:
    int32_t add_token(std::string b) {
        auto it = id_of_.find(b);
        if (it != id_of_.end()) return it->second;
        const auto id = static_cast<int32_t>(bytes_.size());
        id_of_.emplace(b, id);
        bytes_.push_back(std::move(b));
        return id;
    }

    void count_all_pairs() {
        const size_t n_words = words_.count.size();
        for (size_t w = 0; w < n_words; ++w) {
            const int32_t* s = &words_.symbols[words_.offset[w]];
            for (uint32_t i = 0; i + 1 < words_.length[w]; ++i) {
                const PairKey k = pair_key(s[i], s[i + 1]);
                counts_[k] += words_.count[w];
                note_word(k, static_cast<int32_t>(w));
            }
        }
        for (const auto& [k, n] : counts_) push(k, n);
    }

    void note_word(PairKey k, int32_t w) {
        auto& list = where_[k];
        if (list.empty() || list.back() != w) list.push_back(w);
    }

    // Max-heap order: higher count first, then the smaller (left, right) bytes.
    bool lower_priority(const HeapEntry& a, const HeapEntry& b) const {
        if (a.count != b.count) return a.count < b.count;
        const std::string& al = bytes_[static_cast<size_t>(key_left(a.key))];
        const std::string& bl = bytes_[static_cast<size_t>(key_left(b.key))];
        if (al != bl) return al > bl;
        return bytes_[static_cast<size_t>(key_right(a.key))] >
               bytes_[static_cast<size_t>(key_right(b.key))];
    }

    void push(PairKey k, int64_t n) {
        if (n < min_count_) return;
        heap_.push_back({n, k});
        std::push_heap(heap_.begin(), heap_.end(), [this](const HeapEntry& a, const HeapEntry& b) {
            return lower_priority(a, b);
        });
    }

    // The most frequent pair; entries whose count changed since they were
    // pushed are stale (a newer entry holds the current count).
    std::optional<PairKey> pop_best() {
        auto cmp = [this](const HeapEntry& a, const HeapEntry& b) { return lower_priority(a, b); };
        while (!heap_.empty()) {
            std::pop_heap(heap_.begin(), heap_.end(), cmp);
            const HeapEntry top = heap_.back();
            heap_.pop_back();
            auto it = counts_.find(top.key);
            if (it != counts_.end() && it->second == top.count) return top.key;
        }
        return std::nullopt;
    }

    void add_count(PairKey k, int64_t delta) {
        auto [it, inserted] = counts_.try_emplace(k, 0);
        it->second += delta;
        touched_.push_back(k);
    }

    void merge(PairKey k) {
        const int32_t left = key_left(k), right = key_right(k);
        const int32_t merged =
            add_token(bytes_[static_cast<size_t>(left)] + bytes_[static_cast<size_t>(right)]);
        merges_.push_back(k);
        std::vector<int32_t> holders = std::move(where_[k]);
        where_.erase(k);
        touched_.clear();
        for (int32_t w : holders) merge_in_word(w, left, right, merged);
        counts_.erase(k);  // every occurrence was merged
        std::sort(touched_.begin(), touched_.end());
        touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
        for (PairKey t : touched_) {
            auto it = counts_.find(t);
            if (it == counts_.end()) continue;
            if (it->second <= 0) {
                counts_.erase(it);
                where_.erase(t);
            } else {
                push(t, it->second);
            }
        }
    }

    // Replaces every (left, right) of word w, left to right, by `merged`, and
    // moves the counts of the neighbouring pairs: (prev, left) and
    // (right, next) disappear, (prev, merged) and (merged, next) appear.
    void merge_in_word(int32_t w, int32_t left, int32_t right, int32_t merged) {
        int32_t* s = &words_.symbols[words_.offset[static_cast<size_t>(w)]];
        const uint32_t n = words_.length[static_cast<size_t>(w)];
        const int64_t c = words_.count[static_cast<size_t>(w)];
        uint32_t out = 0;
        uint32_t after_merge = UINT32_MAX;  // index just past the last merged pair
        for (uint32_t i = 0; i < n;) {
            if (i + 1 < n && s[i] == left && s[i + 1] == right) {
                // s[i - 1] and s[i + 2] are still the old symbols here (out <= i).
                if (i > 0 && i != after_merge) add_count(pair_key(s[i - 1], left), -c);
                if (i + 2 < n) add_count(pair_key(right, s[i + 2]), -c);
                if (out > 0) add_new_pair(pair_key(s[out - 1], merged), w, c);
                s[out++] = merged;
                i += 2;
                after_merge = i;
            } else {
                if (i == after_merge) add_new_pair(pair_key(merged, s[i]), w, c);
                s[out++] = s[i++];
            }
        }
        words_.length[static_cast<size_t>(w)] = out;
    }

    void add_new_pair(PairKey k, int32_t w, int64_t c) {
        add_count(k, c);
        note_word(k, w);
    }

    Words words_;
    int64_t min_count_;
    std::vector<std::string> bytes_;  // raw bytes of each token id
    std::unordered_map<std::string, int32_t> id_of_;
    std::unordered_map<PairKey, int64_t, KeyHash> counts_;
    std::unordered_map<PairKey, std::vector<int32_t>, KeyHash> where_;
    std::vector<HeapEntry> heap_;
    std::vector<PairKey> touched_;
    std::vector<PairKey> merges_;
};

void check_options(const BpeTrainOptions& o) {
    if (o.vocab_size < kMinBpeVocab || o.vocab_size > kMaxBpeVocab)
        fail("vocabulary size {} is out of range ({}..{})", o.vocab_size, kMinBpeVocab,
             kMaxBpeVocab);
    if (o.eos.empty()) fail("the end-of-text token text is empty");
}

std::unique_ptr<tok::PreTokenizer> make_pre_tokenizer(const std::string& pre) {
    try {
        return tok::PreTokenizer::for_name(pre);
    } catch (const InputError&) {
        fail(
            "unknown pre-tokenizer '{}' (a tokenizer.ggml.pre name llama.cpp knows, e.g. "
            "qwen2, llama3, gpt-2)",
            pre);
    }
}

BpeVocab make_vocab(const BpeMerger& merger, const BpeTrainOptions& options) {
    BpeVocab v;
    v.pre = options.pre.empty() ? "default" : options.pre;  // what llama.cpp assumes for ""
    for (const std::string& b : merger.token_bytes()) v.tokens.push_back(tok::bytes_to_unicode(b));
    v.token_types.assign(v.tokens.size(), kBpeTokenNormal);
    for (PairKey k : merger.merges())
        v.merges.push_back(v.tokens[static_cast<size_t>(key_left(k))] + " " +
                           v.tokens[static_cast<size_t>(key_right(k))]);
    v.eos_id = static_cast<int32_t>(v.tokens.size());
    v.tokens.push_back(options.eos);
    v.token_types.push_back(kBpeTokenControl);
    return v;
}

}  // namespace

BpeVocab train_bpe(const std::vector<std::string_view>& documents, const BpeTrainOptions& options,
                   const BpeProgress& progress) {
    check_options(options);
    const auto pre = make_pre_tokenizer(options.pre);
    BpeMerger merger(make_words(count_pieces(documents, *pre, options)),
                     std::max<int64_t>(1, options.min_pair_count));
    merger.run(options.vocab_size - 1, options.vocab_size, progress);
    return make_vocab(merger, options);
}

}  // namespace ql::train
