// Reading tokenizer.ggml.* into VocabData, with llama.cpp's defaults per
// tokenizer kind and pre-tokenizer name.
#include <algorithm>
#include <cctype>
#include <iterator>

#include "tokenizer/vocab.hpp"
#include "util/error.hpp"

namespace ql::tok {

namespace {

// Token texts that llama.cpp treats as control tokens whatever their stored
// type says (end-of-turn and fill-in-the-middle markers).
constexpr std::string_view kEndOfGeneration[] = {"<|eot_id|>",
                                                 "<|im_end|>",
                                                 "<|end|>",
                                                 "<|return|>",
                                                 "<|call|>",
                                                 "<|flush|>",
                                                 "<|calls|>",
                                                 "<end_of_turn>",
                                                 "<|endoftext|>",
                                                 "</s>",
                                                 "<|eom_id|>",
                                                 "<EOT>",
                                                 "_<EOT>",
                                                 "[EOT]",
                                                 "[EOS]",
                                                 "<|end_of_text|>",
                                                 "<end_of_utterance>",
                                                 "<eos>",
                                                 "<turn|>",
                                                 "<|tool_response>",
                                                 "<｜end▁of▁sentence｜>",
                                                 "[e~[",
                                                 "<|eot|>"};
constexpr std::string_view kFillInMiddle[] = {
    "<MID>",           "<PAD>",           "<PRE>",           "<REPO>",          "<SUF>",
    "<fim-middle>",    "<fim-pad>",       "<fim-prefix>",    "<fim-repo>",      "<fim-suffix>",
    "<fim_middle>",    "<fim_pad>",       "<fim_prefix>",    "<fim_suffix>",    "<reponame>",
    "<|code_middle|>", "<|code_prefix|>", "<|code_suffix|>", "<|file_sep|>",    "<|fim_middle|>",
    "<|fim_pad|>",     "<|fim_prefix|>",  "<|fim_repo|>",    "<|fim_suffix|>",  "<|middle|>",
    "<|prefix|>",      "<|repo_name|>",   "<|suffix|>",      "<｜fim▁begin｜>", "<｜fim▁end｜>",
    "<｜fim▁hole｜>",  "[PAD]",           "▁<MID>",          "▁<PRE>",          "▁<SUF>"};

bool in_list(std::string_view text, const auto& list) {
    return std::find(std::begin(list), std::end(list), text) != std::end(list);
}

// Pre-tokenizer names after which llama.cpp adds BOS by default and takes a
// pre-token that is already a whole token without merging.
bool is_llama3_family(const std::string& pre) {
    for (const char* n : {"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral"}) {
        if (pre == n) return true;
    }
    return false;
}

const gguf::Value& require_string_array(const gguf::GgufFile& f, std::string_view key) {
    const gguf::Value* v = f.find(key);
    if (v == nullptr) fail_input("{}: vocabulary has no {}", f.path(), key);
    if (v->type != gguf::ValueType::ARRAY || v->elem_type != gguf::ValueType::STRING) {
        fail_input("{}: {} is not an array of strings", f.path(), key);
    }
    return *v;
}

// A numeric per-token array (scores, token types): nullptr when absent.
const gguf::Value* optional_token_array(const gguf::GgufFile& f, std::string_view key,
                                        size_t n_vocab,
                                        std::initializer_list<gguf::ValueType> allowed) {
    const gguf::Value* v = f.find(key);
    if (v == nullptr) return nullptr;
    const bool type_ok = v->type == gguf::ValueType::ARRAY &&
                         std::find(allowed.begin(), allowed.end(), v->elem_type) != allowed.end();
    if (!type_ok) fail_input("{}: {} has the wrong type", f.path(), key);
    if (v->array_size() != n_vocab) {
        fail_input("{}: {} has {} entries but the vocabulary has {} tokens", f.path(), key,
                   v->array_size(), n_vocab);
    }
    return v;
}

void read_tokens(const gguf::GgufFile& f, VocabData& v) {
    const gguf::Value& texts = require_string_array(f, "tokenizer.ggml.tokens");
    const size_t n = texts.array_strings.size();
    if (n == 0) fail_input("{}: tokenizer.ggml.tokens is empty", f.path());
    if (n > static_cast<size_t>(INT32_MAX)) fail_input("{}: too many tokens", f.path());
    const gguf::Value* scores = optional_token_array(
        f, "tokenizer.ggml.scores", n, {gguf::ValueType::FLOAT32, gguf::ValueType::INT32});
    const gguf::Value* types =
        optional_token_array(f, "tokenizer.ggml.token_type", n, {gguf::ValueType::INT32});
    v.tokens.resize(n);
    v.text_to_id.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        TokenEntry& t = v.tokens[i];
        t.text = texts.array_strings[i].empty() ? "[EMPTY_" + std::to_string(i) + "]"
                                                : texts.array_strings[i];
        if (scores) t.score = static_cast<float>(scores->array_float(i));
        if (types) {
            const int64_t type = types->array_int(i);
            t.type = type >= 1 && type <= 6 ? static_cast<TokenType>(type) : TokenType::Undefined;
        }
        v.text_to_id[t.text] = static_cast<int32_t>(i);
    }
}

void read_merges(const gguf::GgufFile& f, VocabData& v) {
    const gguf::Value& merges = require_string_array(f, "tokenizer.ggml.merges");
    v.merge_rank.reserve(merges.array_strings.size());
    for (size_t i = 0; i < merges.array_strings.size(); ++i) {
        const std::string& m = merges.array_strings[i];
        // "left right", split at the first space after the first byte.
        const size_t space = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
        const std::string key = space == std::string::npos ? std::string(" ") : m;
        v.merge_rank.emplace(key, static_cast<int32_t>(i));  // the first rank wins
    }
}

// Special ids: defaults of the kind, then the file's keys (ignored when out of range).
void read_special_ids(const gguf::GgufFile& f, VocabData& v) {
    const auto n = static_cast<int64_t>(v.tokens.size());
    auto read = [&](std::string_view key, int32_t& id) {
        if (id >= n) id = -1;
        auto value = f.get_int(key);
        if (value && *value >= 0 && *value < n) id = static_cast<int32_t>(*value);
    };
    read("tokenizer.ggml.bos_token_id", v.bos);
    read("tokenizer.ggml.eos_token_id", v.eos);
    read("tokenizer.ggml.unknown_token_id", v.unk);
    read("tokenizer.ggml.eot_token_id", v.eot);
    read("tokenizer.ggml.eom_token_id", v.eom);
    if (auto b = f.get_bool("tokenizer.ggml.add_bos_token")) v.add_bos = *b;
    if (auto b = f.get_bool("tokenizer.ggml.add_eos_token")) v.add_eos = *b;
}

void mark_end_of_generation(VocabData& v) {
    v.eog.assign(v.tokens.size(), false);
    for (auto& [text, id] : v.text_to_id) {
        TokenEntry& t = v.tokens[static_cast<size_t>(id)];
        const bool eog = in_list(text, kEndOfGeneration);
        if (eog) v.eog[static_cast<size_t>(id)] = true;
        if (eog || in_list(text, kFillInMiddle)) t.type = TokenType::Control;
    }
    for (int32_t id : {v.eos, v.eot, v.eom}) {
        if (id >= 0) v.eog[static_cast<size_t>(id)] = true;
    }
}

bool is_special(TokenType t) {
    return t == TokenType::Control || t == TokenType::UserDefined || t == TokenType::Unknown;
}

// Phi-3's special tokens swallow the whitespace after them (llama.cpp keys
// this on general.name).
void apply_model_quirks(const gguf::GgufFile& f, VocabData& v) {
    std::string name = f.get_string("general.name").value_or("");
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name.find("phi-3") == std::string::npos && name.find("phi3") == std::string::npos) return;
    for (TokenEntry& t : v.tokens) {
        if (is_special(t.type) || t.text == "</s>") t.rstrip = true;
        if (t.text == "<unk>" || t.text == "<s>" || t.text == "<|endoftext|>") t.rstrip = false;
    }
}

void collect_special_tokens(VocabData& v) {
    for (size_t i = 0; i < v.tokens.size(); ++i) {
        if (is_special(v.tokens[i].type)) v.special_by_length.push_back(static_cast<int32_t>(i));
    }
    std::stable_sort(v.special_by_length.begin(), v.special_by_length.end(),
                     [&](int32_t a, int32_t b) {
                         return v.tokens[static_cast<size_t>(a)].text.size() >
                                v.tokens[static_cast<size_t>(b)].text.size();
                     });
}

void set_kind_defaults(const gguf::GgufFile& f, VocabData& v) {
    const std::string model = f.get_string("tokenizer.ggml.model").value_or("");
    if (model == "llama") {
        v.kind = VocabKind::Spm;
        v.bos = 1, v.eos = 2, v.unk = 0;
        v.add_bos = true;
        v.add_space_prefix = true;
        if (auto b = f.get_bool("tokenizer.ggml.add_space_prefix")) v.add_space_prefix = *b;
    } else if (model == "gpt2") {
        v.kind = VocabKind::Bpe;
        v.bos = 11, v.eos = 11;
        v.pre_name = f.get_string("tokenizer.ggml.pre").value_or("default");
        v.pre = PreTokenizer::for_name(v.pre_name);
        v.ignore_merges = is_llama3_family(v.pre_name);
        v.add_bos = is_llama3_family(v.pre_name);
        if (v.pre_name == "glm4" || v.pre_name == "chatglm-bpe") v.bos = -1;
    } else if (model.empty()) {
        fail_input("{}: no tokenizer.ggml.model in the metadata", f.path());
    } else {
        fail_input("{}: unknown tokenizer model '{}' (supported: llama, gpt2)", f.path(), model);
    }
}

}  // namespace

std::unique_ptr<VocabData> load_vocab(const gguf::GgufFile& f) {
    auto v = std::make_unique<VocabData>();
    try {
        set_kind_defaults(f, *v);
    } catch (const InputError& e) {
        const std::string what = e.what();
        if (what.rfind(f.path(), 0) == 0) throw;
        fail_input("{}: {}", f.path(), what);
    }
    read_tokens(f, *v);
    if (v->kind == VocabKind::Bpe) read_merges(f, *v);
    read_special_ids(f, *v);
    mark_end_of_generation(*v);
    apply_model_quirks(f, *v);
    collect_special_tokens(*v);
    return v;
}

}  // namespace ql::tok
