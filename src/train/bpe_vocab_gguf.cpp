// A trained BPE vocabulary as GGUF metadata, and vocabulary-only GGUF files.
//
// llama.cpp loads a vocabulary-only model (llama-tokenize, llama_model_params
// .vocab_only) by reading general.architecture — which must name an
// architecture it knows — and tokenizer.ggml.*; it skips every
// hyper-parameter and tensor (checked with llama-tokenize: "llama" and no
// llama.* keys loads; an unknown architecture does not). So the file holds
// general.architecture = "llama", general.name, llama.vocab_size and the
// tokenizer keys, and no tensors.
#include "train/bpe_train.hpp"
#include "util/error.hpp"

namespace ql::train {

void set_tokenizer_metadata(gguf::GgufWriter& w, const BpeVocab& v) {
    using gguf::Value;
    w.set("tokenizer.ggml.model", Value::string("gpt2"));
    w.set("tokenizer.ggml.pre", Value::string(v.pre));
    w.set("tokenizer.ggml.tokens", Value::string_array(v.tokens));
    w.set("tokenizer.ggml.token_type", Value::i32_array(v.token_types));
    w.set("tokenizer.ggml.merges", Value::string_array(v.merges));
    w.set("tokenizer.ggml.bos_token_id", Value::u32(static_cast<uint32_t>(v.eos_id)));
    w.set("tokenizer.ggml.eos_token_id", Value::u32(static_cast<uint32_t>(v.eos_id)));
    w.set("tokenizer.ggml.add_bos_token", Value::boolean(false));
    w.set("tokenizer.ggml.add_eos_token", Value::boolean(false));
}

void write_vocab_gguf(const std::string& path, const BpeVocab& v) {
    using gguf::Value;
    gguf::GgufWriter w(path);
    w.set("general.architecture", Value::string("llama"));
    w.set("general.name", Value::string("quantlab-bpe-" + std::to_string(v.tokens.size())));
    w.set("llama.vocab_size", Value::u32(static_cast<uint32_t>(v.tokens.size())));
    set_tokenizer_metadata(w, v);
    w.begin();
    w.finish();
}

namespace {

const std::vector<std::string>& string_array(const gguf::GgufFile& f, std::string_view key) {
    const gguf::Value* v = f.find(key);
    if (v == nullptr || v->type != gguf::ValueType::ARRAY ||
        v->elem_type != gguf::ValueType::STRING)
        fail_input("{}: no string array {}", f.path(), key);
    return v->array_strings;
}

}  // namespace

BpeVocab read_vocab_gguf(const gguf::GgufFile& f) {
    BpeVocab v;
    v.pre = f.get_string("tokenizer.ggml.pre").value_or("");
    v.tokens = string_array(f, "tokenizer.ggml.tokens");
    v.merges = string_array(f, "tokenizer.ggml.merges");
    const gguf::Value* types = f.find("tokenizer.ggml.token_type");
    if (types == nullptr || types->type != gguf::ValueType::ARRAY ||
        types->array_size() != v.tokens.size())
        fail_input("{}: tokenizer.ggml.token_type is missing or has the wrong size", f.path());
    for (size_t i = 0; i < types->array_size(); ++i)
        v.token_types.push_back(static_cast<int32_t>(types->array_int(i)));
    v.eos_id = static_cast<int32_t>(f.get_int("tokenizer.ggml.eos_token_id").value_or(-1));
    return v;
}

}  // namespace ql::train
