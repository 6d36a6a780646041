// Whole-model writers built on GgufWriter: a plain copy, and a split copy in
// the layout of llama.cpp's gguf-split.
#include <memory>

#include "gguf/gguf.hpp"
#include "util/checked.hpp"
#include "util/error.hpp"

namespace ql::gguf {

namespace {

constexpr const char* kSplitNo = "split.no";
constexpr const char* kSplitCount = "split.count";
constexpr const char* kSplitTensorsCount = "split.tensors.count";

// Tensor indices of `src` for each part, following gguf-split's rule.
std::vector<std::vector<size_t>> plan_parts(const GgufFile& src, const SplitOptions& opt) {
    std::vector<std::vector<size_t>> parts(1);
    if (opt.no_tensors_in_first) parts.emplace_back();
    uint64_t part_bytes = 0;  // padded tensor bytes in the current part
    for (size_t i = 0; i < src.tensors().size(); ++i) {
        const auto padded = checked_align(src.tensors()[i].n_bytes, src.alignment());
        if (!padded) fail("{}: tensor size overflows", src.path());
        const bool full_by_count =
            opt.max_tensors > 0 && static_cast<int64_t>(parts.back().size()) >= opt.max_tensors;
        const bool full_by_bytes = opt.max_bytes > 0 && part_bytes + *padded > opt.max_bytes;
        if ((full_by_count || full_by_bytes) && !parts.back().empty()) {
            parts.emplace_back();
            part_bytes = 0;
        }
        part_bytes += *padded;
        parts.back().push_back(i);
    }
    return parts;
}

void add_and_begin(GgufWriter& w, const GgufFile& src, const std::vector<size_t>& indices) {
    for (size_t i : indices) {
        const TensorInfo& t = src.tensors()[i];
        w.add_tensor(t.name, t.type, t.shape);
    }
    w.begin();
    for (size_t k = 0; k < indices.size(); ++k) {
        const TensorInfo& t = src.tensors()[indices[k]];
        w.write_tensor_data(k, t.data, t.n_bytes);
    }
}

}  // namespace

void write_copy(const GgufFile& src, const std::string& path) {
    GgufWriter w(path, src.version());
    w.copy_metadata(src);
    if (src.n_files() > 1) {
        w.remove(kSplitNo);
        w.remove(kSplitCount);
        w.remove(kSplitTensorsCount);
    }
    // Keep a metadata-only source's choice of trailing padding.
    if (src.tensors().empty() && src.n_files() == 1) {
        const FileLayout& l = src.files()[0];
        w.set_pad_without_tensors(l.file_size > l.header_bytes);
    }
    std::vector<size_t> all(src.tensors().size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    add_and_begin(w, src, all);
    w.finish();
}

std::vector<std::string> write_split(const GgufFile& src, const std::string& prefix,
                                     const SplitOptions& options) {
    const auto parts = plan_parts(src, options);
    const int count = static_cast<int>(parts.size());
    if (parts.size() > 65535)
        fail("{}: {} parts is more than a split model can hold", prefix, parts.size());
    const auto n_tensors = static_cast<int32_t>(src.tensors().size());
    const Value* alignment = src.find("general.alignment");
    // All parts are written to temporary files first and renamed only when
    // every one is complete.
    std::vector<std::unique_ptr<GgufWriter>> writers;
    std::vector<std::string> paths;
    for (int k = 0; k < count; ++k) {
        paths.push_back(make_split_name(prefix, k + 1, count));
        auto w = std::make_unique<GgufWriter>(paths.back(), src.version());
        if (k == 0) w->copy_metadata(src);
        // gguf-split's order: ggml's set moves a key to the end, and split.count
        // is set last (after a placeholder).
        for (const char* key : {kSplitNo, kSplitTensorsCount, kSplitCount}) w->remove(key);
        w->set(kSplitNo, Value::u16(static_cast<uint16_t>(k)));
        w->set(kSplitTensorsCount, Value::i32(n_tensors));
        w->set(kSplitCount, Value::u16(static_cast<uint16_t>(count)));
        if (k > 0 && alignment) w->set("general.alignment", *alignment);
        add_and_begin(*w, src, parts[static_cast<size_t>(k)]);
        writers.push_back(std::move(w));
    }
    for (auto& w : writers) w->finish();
    return paths;
}

}  // namespace ql::gguf
