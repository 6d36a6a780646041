// alloc::quantize_model: the written bytes are the registry's quantization
// of each tensor with its own imatrix rows (per expert for 3-D stacks),
// whatever the thread count and slab size; refusals leave no file.
#include <gtest/gtest.h>

#include "alloc/quantize_model.hpp"
#include "cli/fixture.hpp"
#include "util/error.hpp"

namespace ql::test {
namespace {

using alloc::Plan;
using quant::TypeId;

TinyModelOptions moe_model(int64_t n_embd = 128) {
    TinyModelOptions o;
    o.n_embd = n_embd;
    o.n_layer = 1;
    o.n_ff = 64;
    o.n_expert = 3;
    o.n_expert_used = 1;
    return o;
}

// Matrices to `to`, vectors kept.
Plan plan_all_matrices(const gguf::GgufFile& model, TypeId to, uint32_t ftype = 2) {
    Plan plan;
    plan.ftype = ftype;
    for (const auto& t : model.tensors()) {
        alloc::PlannedTensor p{t.name, t.shape, t.type, t.shape.size() >= 2 ? to : t.type, 0, ""};
        p.bytes_out = *quant::row_bytes(quant::type_traits(p.to), t.shape[0]) * t.n_rows();
        plan.bytes_in += t.n_bytes;
        plan.bytes_out += p.bytes_out;
        plan.tensors.push_back(p);
    }
    return plan;
}

// Importance for every matrix except ffn_down_exps: distinct per expert.
alloc::Imatrix synthetic_imatrix(const gguf::GgufFile& model) {
    alloc::Imatrix m;
    m.path = "synthetic.imatrix";
    m.n_chunks = 5;
    m.datasets = {"d.txt"};
    for (const auto& t : model.tensors()) {
        if (t.shape.size() < 2 || t.name.find("ffn_down_exps") != std::string::npos) continue;
        const int64_t n_mat = t.shape.size() > 2 ? t.shape[2] : 1;
        std::vector<float> v(static_cast<size_t>(t.shape[0] * n_mat));
        for (size_t i = 0; i < v.size(); ++i) v[i] = 0.1f + static_cast<float>((i * 37) % 101);
        m.entries[t.name] = v;
    }
    return m;
}

// What the output of `t` must be: row by row, importance row of its matrix.
std::vector<uint8_t> reference_bytes(const gguf::TensorInfo& t, TypeId to, const float* imp) {
    const std::vector<float> x = dequantized(t);
    const int64_t n = t.shape[0], rows = t.n_rows();
    const int64_t rows_per_matrix = t.shape[1];
    const auto row = *quant::row_bytes(quant::type_traits(to), n);
    std::vector<uint8_t> out(row * rows);
    for (int64_t r = 0; r < rows; ++r)
        quant::quantize(to, x.data() + r * n, out.data() + r * row, 1, n,
                        imp ? imp + (r / rows_per_matrix) * n : nullptr);
    return out;
}

TEST(QuantizeModel, BytesMatchRegistryForAnyThreadsAndSlabs) {
    ScratchDir dir;
    write_tiny_model(dir / "in.gguf", moe_model());
    const auto in = gguf::GgufFile::open(dir / "in.gguf");
    const Plan plan = plan_all_matrices(in, TypeId::Q4_0);
    const alloc::Imatrix imatrix = synthetic_imatrix(in);
    struct Setting {
        int threads;
        uint64_t slab_bytes;
    };
    // 1000 bytes: slabs of 3 rows, so runs cross expert boundaries mid-slab.
    for (const Setting s : {Setting{1, 64ull << 20}, Setting{2, 1000}, Setting{3, 4096}}) {
        alloc::QuantizeModelOptions o;
        o.n_threads = s.threads;
        o.slab_bytes = s.slab_bytes;
        o.imatrix = &imatrix;
        o.show_progress = false;
        std::vector<std::string> warnings;
        o.warn = [&](const std::string& w) { warnings.push_back(w); };
        const auto result = alloc::quantize_model(in, plan, dir / "out.gguf", o);
        // One warning for the tensor without imatrix data.
        ASSERT_EQ(warnings.size(), 1u);
        EXPECT_NE(warnings[0].find("1 tensor, e.g. 'blk.0.ffn_down_exps.weight'"),
                  std::string::npos)
            << warnings[0];
        EXPECT_EQ(result.without_importance,
                  std::vector<std::string>{"blk.0.ffn_down_exps.weight"});
        EXPECT_EQ(result.n_requantized, 0);
        EXPECT_EQ(result.bytes_out, plan.bytes_out);

        const auto out = gguf::GgufFile::open(dir / "out.gguf");
        for (const auto& t : in.tensors()) {
            const gguf::TensorInfo* q = out.find_tensor(t.name);
            ASSERT_NE(q, nullptr);
            if (t.shape.size() == 1) {
                ASSERT_EQ(q->n_bytes, t.n_bytes);
                EXPECT_EQ(std::memcmp(q->data, t.data, t.n_bytes), 0) << t.name;
                continue;
            }
            const auto* imp = imatrix.find(t.name);
            const auto want = reference_bytes(t, TypeId::Q4_0, imp ? imp->data() : nullptr);
            ASSERT_EQ(q->n_bytes, want.size()) << t.name;
            EXPECT_EQ(std::memcmp(q->data, want.data(), want.size()), 0)
                << t.name << " threads " << s.threads << " slab " << s.slab_bytes;
        }
    }
}

TEST(QuantizeModel, MetadataLikeLlamaQuantize) {
    ScratchDir dir;
    write_tiny_model(dir / "in.gguf", moe_model());
    const auto in = gguf::GgufFile::open(dir / "in.gguf");
    const alloc::Imatrix imatrix = synthetic_imatrix(in);
    alloc::QuantizeModelOptions o;
    o.show_progress = false;
    o.warn = [](const std::string&) {};
    o.imatrix = &imatrix;
    o.extra_metadata = alloc::imatrix_metadata(imatrix);
    alloc::quantize_model(in, plan_all_matrices(in, TypeId::Q8_0, 7), dir / "out.gguf", o);
    const auto out = gguf::GgufFile::open(dir / "out.gguf");
    EXPECT_EQ(out.get_int("general.file_type"), 7);
    EXPECT_EQ(out.get_int("general.quantization_version"), 2);
    EXPECT_EQ(out.get_string("general.name"), "tiny test model");
    EXPECT_EQ(out.get_string("quantize.imatrix.file"), "synthetic.imatrix");
    EXPECT_EQ(out.get_string("quantize.imatrix.dataset"), "d.txt");
    EXPECT_EQ(out.get_int("quantize.imatrix.entries_count"),
              static_cast<int64_t>(imatrix.entries.size()));
    EXPECT_EQ(out.get_int("quantize.imatrix.chunks_count"), 5);
}

TEST(QuantizeModel, RefusalsHappenBeforeAnyOutput) {
    ScratchDir dir;
    write_tiny_model(dir / "in.gguf", moe_model(256));  // IQ2_XXS needs rows of 256
    const auto in = gguf::GgufFile::open(dir / "in.gguf");
    alloc::QuantizeModelOptions o;
    o.show_progress = false;
    o.warn = [](const std::string&) {};
    const std::string out = dir / "out.gguf";

    // IQ2_XXS without importance.
    try {
        alloc::quantize_model(in, plan_all_matrices(in, TypeId::IQ2_XXS), out, o);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("needs an importance matrix"), std::string::npos)
            << e.what();
    }
    // An imatrix entry of the wrong size names the file and the tensor.
    alloc::Imatrix bad = synthetic_imatrix(in);
    bad.entries["blk.0.attn_q.weight"].resize(17);
    o.imatrix = &bad;
    try {
        alloc::quantize_model(in, plan_all_matrices(in, TypeId::Q4_0), out, o);
        ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("synthetic.imatrix"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("blk.0.attn_q.weight"), std::string::npos) << e.what();
    }
    // The token embedding is exempt: llama-quantize ignores a mismatch there.
    alloc::Imatrix embd = synthetic_imatrix(in);
    embd.entries["token_embd.weight"] = {1.0f, 2.0f};
    o.imatrix = &embd;
    EXPECT_NO_THROW(alloc::quantize_model(in, plan_all_matrices(in, TypeId::Q4_0), out, o));
    fs::remove(out);
    // A plan for another model.
    Plan other = plan_all_matrices(in, TypeId::Q4_0);
    other.tensors.pop_back();
    EXPECT_THROW(alloc::quantize_model(in, other, out, o), Error);
    other = plan_all_matrices(in, TypeId::Q4_0);
    other.tensors[1].name = "renamed";
    EXPECT_THROW(alloc::quantize_model(in, other, out, o), Error);

    size_t n_files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++n_files;
    EXPECT_EQ(n_files, 1u);
}

TEST(QuantizeModel, SplitKeysAreDroppedFromTheSingleOutput) {
    ScratchDir dir;
    write_tiny_model(dir / "plain.gguf", moe_model());
    {
        // Same model with split.* keys, as the first part of a one-part split would carry.
        const auto plain = gguf::GgufFile::open(dir / "plain.gguf");
        gguf::GgufWriter w(dir / "in.gguf");
        w.copy_metadata(plain);
        w.set("split.no", gguf::Value::u32(0));
        w.set("split.count", gguf::Value::u32(1));
        std::vector<const void*> data;
        for (const auto& t : plain.tensors()) {
            w.add_tensor(t.name, t.type, t.shape);
            data.push_back(t.data);
        }
        w.write_all(data);
    }
    const auto in = gguf::GgufFile::open_single(dir / "in.gguf");
    ASSERT_NE(in.find("split.count"), nullptr);
    alloc::QuantizeModelOptions o;
    o.show_progress = false;
    alloc::quantize_model(in, plan_all_matrices(in, TypeId::Q8_0), dir / "out.gguf", o);
    const auto out = gguf::GgufFile::open_single(dir / "out.gguf");
    EXPECT_EQ(out.find("split.count"), nullptr);
    EXPECT_EQ(out.find("split.no"), nullptr);
    EXPECT_EQ(out.tensors().size(), in.tensors().size());
}

}  // namespace
}  // namespace ql::test
