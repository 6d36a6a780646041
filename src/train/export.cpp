#include "train/export.hpp"

#include "gguf/gguf.hpp"
#include "quant/half.hpp"
#include "util/error.hpp"

namespace ql::train {

namespace {

model::SynthConfig config_of(const Preset& p, quant::TypeId type, const std::string& name) {
    model::SynthConfig c;
    c.arch = p.arch;
    c.name = name;
    c.type = type;
    c.n_embd = p.n_embd;
    c.n_layer = p.n_layer;
    c.n_head = p.n_head;
    c.n_head_kv = p.n_head_kv;
    c.head_dim = p.head_dim;
    c.n_ff = p.moe() ? p.n_ff_exp : p.n_ff;
    c.n_vocab = p.n_vocab;
    c.n_ctx = p.seq_len;
    c.rms_eps = p.rms_eps;
    c.rope_base = p.rope_base;
    c.n_expert = p.n_expert;
    c.n_expert_used = p.n_expert_used;
    c.n_ff_exp = p.n_ff_exp;
    c.tie_embeddings = true;
    return c;
}

std::vector<int64_t> shape_of(const ParamTensor& t) {
    if (t.n_mat > 1) return {t.n_in, t.n_out, t.n_mat};
    if (t.n_out > 1) return {t.n_in, t.n_out};
    return {t.n_in};
}

}  // namespace

void export_gguf(const Preset& preset, const ParamLayout& layout, const float* params,
                 const model::MetadataList& tokenizer, quant::TypeId matrix_type,
                 const std::string& name, const std::string& path) {
    if (matrix_type != quant::TypeId::F16 && matrix_type != quant::TypeId::F32)
        fail("export: matrices are written as F16 or F32");
    gguf::GgufWriter w(path);
    for (auto& [key, value] : model::architecture_metadata(config_of(preset, matrix_type, name)))
        w.set(key, value);
    for (const auto& [key, value] : tokenizer) w.set(key, value);
    std::vector<quant::TypeId> types;
    for (const ParamTensor& t : layout.tensors) {
        const auto type = shape_of(t).size() == 1 ? quant::TypeId::F32 : matrix_type;
        types.push_back(type);
        w.add_tensor(t.name, type, shape_of(t));
    }
    w.begin();
    std::vector<uint16_t> half;
    for (size_t i = 0; i < layout.tensors.size(); ++i) {
        const ParamTensor& t = layout.tensors[i];
        const float* src = params + t.offset;
        if (types[i] == quant::TypeId::F32) {
            w.write_tensor_data(i, src, static_cast<size_t>(t.size()) * sizeof(float));
            continue;
        }
        half.resize(static_cast<size_t>(t.size()));
        for (int64_t k = 0; k < t.size(); ++k)
            half[static_cast<size_t>(k)] = quant::f32_to_fp16(src[k]);
        w.write_tensor_data(i, half.data(), half.size() * sizeof(uint16_t));
    }
    w.finish();
}

}  // namespace ql::train
