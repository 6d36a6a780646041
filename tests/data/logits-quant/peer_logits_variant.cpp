// The peer's logits for a token sequence under another legitimate
// configuration than logits-dump's: weight repacking off (--no-repack) and/or
// a smaller micro-batch (--ubatch N). Everything else as logits-dump (F32 KV
// cache, flash attention off). Two llama.cpp configurations differ only in
// the order in which the CPU backend sums; comparing them measures how much
// a model's logits move under that alone: the noise floor of any comparison
// between two engines on that model. Built against the peer's tree by
// make_goldens.sh and measure.sh.
//   peer_logits_variant MODEL.gguf TOKENS.txt OUT.f32 THREADS [--no-repack] [--ubatch N]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "llama.h"

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr,
                     "usage: peer_logits_variant MODEL.gguf TOKENS.txt OUT.f32 THREADS "
                     "[--no-repack] [--ubatch N]\n");
        return 2;
    }
    bool repack = true;
    int ubatch = 0;
    for (int i = 5; i < argc; ++i) {
        if (std::strcmp(argv[i], "--no-repack") == 0) {
            repack = false;
        } else if (std::strcmp(argv[i], "--ubatch") == 0 && i + 1 < argc) {
            ubatch = std::atoi(argv[++i]);
        } else {
            std::fprintf(stderr, "peer_logits_variant: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    std::vector<llama_token> tokens;
    std::ifstream in(argv[2]);
    for (int t; in >> t;) tokens.push_back(t);
    if (tokens.empty()) {
        std::fprintf(stderr, "peer_logits_variant: no tokens in %s\n", argv[2]);
        return 2;
    }
    llama_log_set(
        [](ggml_log_level level, const char* text, void*) {
            if (level >= GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr);
        },
        nullptr);
    llama_backend_init();
    llama_model_params mp = llama_model_default_params();
    mp.use_extra_bufts = repack;
    llama_model* model = llama_model_load_from_file(argv[1], mp);
    if (!model) return 3;
    llama_context_params cp = llama_context_default_params();
    const auto n = static_cast<uint32_t>(tokens.size());
    cp.n_ctx = n + 8;
    cp.n_batch = n;
    cp.n_ubatch = ubatch > 0 ? static_cast<uint32_t>(ubatch) : n;
    cp.n_threads = cp.n_threads_batch = std::atoi(argv[4]);
    cp.type_k = GGML_TYPE_F32;
    cp.type_v = GGML_TYPE_F32;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    llama_context* ctx = llama_init_from_model(model, cp);
    if (!ctx) return 3;
    llama_batch batch = llama_batch_init(static_cast<int32_t>(n), 0, 1);
    for (uint32_t i = 0; i < n; ++i) {
        batch.token[i] = tokens[i];
        batch.pos[i] = static_cast<llama_pos>(i);
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = 1;
    }
    batch.n_tokens = static_cast<int32_t>(n);
    if (llama_decode(ctx, batch) != 0) return 4;
    const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    std::FILE* out = std::fopen(argv[3], "wb");
    if (!out) return 5;
    for (uint32_t i = 0; i < n; ++i)
        std::fwrite(llama_get_logits_ith(ctx, static_cast<int32_t>(i)), sizeof(float),
                    static_cast<size_t>(n_vocab), out);
    std::fclose(out);
    llama_batch_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
