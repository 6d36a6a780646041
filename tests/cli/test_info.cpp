// `quantlab info`: the numbers it reports are recomputed here from the
// tensors the fixture wrote, in text and JSON form, dense and MoE.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/fixture.hpp"

namespace ql::test {
namespace {

struct Expected {
    uint64_t n_params = 0, n_active = 0, bytes = 0, bytes_per_token = 0;
    std::map<std::string, int64_t> types;
};

Expected expected_counts(const std::vector<TinyTensor>& ts, int n_expert, int n_used) {
    Expected e;
    for (const auto& t : ts) {
        uint64_t n = 1;
        for (auto d : t.shape) n *= static_cast<uint64_t>(d);
        e.n_params += n;
        const bool expert_stack = t.name.find("_exps.") != std::string::npos;
        e.n_active += expert_stack ? n / n_expert * n_used : n;
        e.bytes += t.data.size();
        if (t.name != "token_embd.weight")
            e.bytes_per_token += expert_stack ? t.data.size() / n_expert * n_used : t.data.size();
        e.types[std::string(quant::type_traits(t.type).name)] += 1;
    }
    return e;
}

TEST(CliInfo, JsonReportsCountsBitsAndMetadata) {
    ScratchDir dir;
    TinyModelOptions o;
    o.weight_type = quant::TypeId::F16;
    o.n_vocab = 40;
    const auto ts = write_tiny_model(dir / "m.gguf", o);
    const Expected e = expected_counts(ts, 1, 1);

    const RunResult r = run_quantlab({"info", dir / "m.gguf", "--json"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["architecture"], "llama");
    EXPECT_EQ(j["n_params"].get<uint64_t>(), e.n_params);
    EXPECT_EQ(j["n_params_active"].get<uint64_t>(), e.n_params);  // dense
    EXPECT_EQ(j["bytes_per_token"].get<uint64_t>(), e.bytes_per_token);
    EXPECT_LT(e.bytes_per_token, e.bytes);  // the token embedding is not read whole
    EXPECT_EQ(j["n_tensors"].get<size_t>(), ts.size());
    using TypeCounts = std::map<std::string, int64_t>;
    EXPECT_EQ(j["tensor_types"].get<TypeCounts>(), e.types);
    const double bpw = static_cast<double>(e.bytes) * 8.0 / static_cast<double>(e.n_params);
    EXPECT_NEAR(j["bpw"].get<double>(), bpw, 1e-9);
    EXPECT_GT(bpw, 16.0);  // F16 matrices plus F32 norms
    EXPECT_NEAR(j["capacity_gbit"].get<double>(), static_cast<double>(e.bytes) * 8.0 / 1e9, 1e-12);
    EXPECT_EQ(j["context_length"], 128);
    EXPECT_EQ(j["n_vocab"], 40);
    // Metadata: scalars as scalars, the 40-token array summarised.
    const auto& md = j["metadata"];
    EXPECT_EQ(md["general.name"], "tiny test model");
    EXPECT_EQ(md["llama.block_count"], 2);
    const auto& tokens = md["tokenizer.ggml.tokens"];
    EXPECT_EQ(tokens["type"], "array");
    EXPECT_EQ(tokens["length"], 40);
    ASSERT_EQ(tokens["first"].size(), 8u);
    EXPECT_EQ(tokens["first"][3], "tok3");
}

TEST(CliInfo, MoeActiveParametersCountUsedExpertsOnly) {
    ScratchDir dir;
    TinyModelOptions o;
    o.n_expert = 4;
    o.n_expert_used = 1;
    o.n_layer = 1;
    o.n_ff = 256;
    const auto ts = write_tiny_model(dir / "moe.gguf", o);
    const Expected e = expected_counts(ts, 4, 1);
    ASSERT_LT(e.n_active, e.n_params);

    const RunResult r = run_quantlab({"info", dir / "moe.gguf", "--json"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["architecture"], "qwen3moe");
    EXPECT_EQ(j["n_params"].get<uint64_t>(), e.n_params);
    EXPECT_EQ(j["n_params_active"].get<uint64_t>(), e.n_active);
    EXPECT_EQ(j["bytes_per_token"].get<uint64_t>(), e.bytes_per_token);
    EXPECT_EQ(j["n_expert"], 4);
    EXPECT_EQ(j["n_expert_used"], 1);
}

TEST(CliInfo, TextSummaryIsAligned) {
    ScratchDir dir;
    TinyModelOptions o;
    o.n_expert = 2;
    o.n_expert_used = 1;
    o.n_layer = 1;
    const auto ts = write_tiny_model(dir / "m.gguf", o);
    const Expected e = expected_counts(ts, 2, 1);
    const RunResult r = run_quantlab({"info", dir / "m.gguf"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("architecture    qwen3moe\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(fmt::format("({})", e.n_params)), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("active/token    "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(fmt::format("({};", e.n_active)), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("context length  128\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("vocabulary      64\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(fmt::format("tensors         {} (F32 {})", ts.size(), ts.size())),
              std::string::npos)
        << r.out;
    // Long arrays are summarised on one line.
    EXPECT_NE(r.out.find("[string x 64] \"tok0\", \"tok1\""), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("tok63"), std::string::npos);
}

}  // namespace
}  // namespace ql::test

namespace ql::test {
namespace {

// Writes `ts` as a two-part split model (llama.cpp's naming and split.* keys);
// returns the path of the first part.
std::string write_two_part_split(const ScratchDir& dir, const std::vector<TinyTensor>& ts,
                                 const gguf::GgufFile& metadata_source) {
    const size_t half = ts.size() / 2;
    for (int part = 0; part < 2; ++part) {
        gguf::GgufWriter w(gguf::make_split_name(dir / "split", part + 1, 2));
        if (part == 0) w.copy_metadata(metadata_source);
        w.set("split.no", gguf::Value::u32(static_cast<uint32_t>(part)));
        w.set("split.count", gguf::Value::u32(2));
        w.set("split.tensors.count", gguf::Value::i32(static_cast<int32_t>(ts.size())));
        std::vector<const void*> data;
        for (size_t i = part == 0 ? 0 : half; i < (part == 0 ? half : ts.size()); ++i) {
            w.add_tensor(ts[i].name, ts[i].type, ts[i].shape);
            data.push_back(ts[i].data.data());
        }
        w.write_all(data);
    }
    return gguf::make_split_name(dir / "split", 1, 2);
}

TEST(CliInfo, SplitModelReadsAsOneAndQuantizesToOneFile) {
    ScratchDir dir;
    TinyModelOptions o;
    o.n_layer = 1;
    const auto ts = write_tiny_model(dir / "whole.gguf", o);
    const Expected e = expected_counts(ts, 1, 1);
    const std::string first =
        write_two_part_split(dir, ts, gguf::GgufFile::open(dir / "whole.gguf"));

    RunResult r = run_quantlab({"info", first, "--json"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["n_files"], 2);
    EXPECT_EQ(j["n_tensors"].get<size_t>(), ts.size());
    EXPECT_EQ(j["n_params"].get<uint64_t>(), e.n_params);

    r = run_quantlab({"quantize", first, dir / "q.gguf", "--type", "Q8_0"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    r = run_quantlab({"info", dir / "q.gguf", "--json"}, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["n_files"], 1);
    EXPECT_EQ(j["n_tensors"].get<size_t>(), ts.size());
    EXPECT_FALSE(j["metadata"].contains("split.count"));
}

}  // namespace
}  // namespace ql::test
