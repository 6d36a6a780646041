#include "alloc/imatrix.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>

#include "gguf/gguf.hpp"
#include "util/checked.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

namespace ql::alloc {

namespace {

constexpr std::string_view kSumsSuffix = ".in_sum2";
constexpr std::string_view kCountsSuffix = ".counts";
// Longer names are certainly not tensor names (ggml caps them at 63 bytes).
constexpr int32_t kMaxNameLength = 4096;

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Checks every value of one entry: sums of squares and counts are finite and >= 0.
void check_values(const std::string& file, const std::string& entry, const float* values, size_t n,
                  std::string_view what) {
    for (size_t i = 0; i < n; ++i) {
        float v;
        std::memcpy(&v, values + i, sizeof v);
        if (!std::isfinite(v) || v < 0)
            fail_input("{}: entry '{}': {} value {} is {} (must be finite and >= 0)", file, entry,
                       what, i, v);
    }
}

// ---- legacy .dat -----------------------------------------------------------

// Bounds-checked little-endian reader over an in-memory image.
class Cursor {
  public:
    Cursor(const uint8_t* data, size_t size, const std::string& file)
        : data_(data), size_(size), file_(file) {}

    size_t remaining() const { return size_ - pos_; }

    int32_t read_i32(std::string_view what) {
        need(4, what);
        int32_t v;
        std::memcpy(&v, data_ + pos_, 4);
        pos_ += 4;
        return v;
    }

    std::string read_string(size_t n, std::string_view what) {
        need(n, what);
        std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
        pos_ += n;
        return s;
    }

    // [n] floats copied out of the image.
    std::vector<float> read_floats(size_t n, std::string_view what) {
        auto bytes = checked_mul(n, sizeof(float));
        if (!bytes) fail_input("{}: {}: {} values overflow", file_, what, n);
        need(*bytes, what);
        std::vector<float> v(n);
        std::memcpy(v.data(), data_ + pos_, *bytes);
        pos_ += *bytes;
        return v;
    }

  private:
    void need(size_t n, std::string_view what) const {
        if (n > remaining())
            fail_input("{}: truncated: {} needs {} bytes at offset {}, only {} left", file_, what,
                       n, pos_, remaining());
    }
    const uint8_t* data_;
    size_t size_, pos_ = 0;
    const std::string& file_;
};

void read_legacy_entry(Cursor& in, Imatrix& m, int32_t index, const std::string& file) {
    const std::string where = fmt::format("entry {}", index);
    const int32_t name_len = in.read_i32(where + " name length");
    if (name_len < 1 || name_len > kMaxNameLength)
        fail_input("{}: {}: name length {} is out of range [1, {}]", file, where, name_len,
                   kMaxNameLength);
    std::string name = in.read_string(static_cast<size_t>(name_len), where + " name");
    if (name.find('\0') != std::string::npos)
        fail_input("{}: {}: name contains a NUL byte", file, where);
    const int32_t n_calls = in.read_i32(where + " call count");
    if (n_calls < 0) fail_input("{}: entry '{}': negative call count {}", file, name, n_calls);
    const int32_t n_values = in.read_i32(where + " value count");
    if (n_values < 1) fail_input("{}: entry '{}': value count {} < 1", file, name, n_values);
    std::vector<float> values =
        in.read_floats(static_cast<size_t>(n_values), "entry '" + name + "'");
    check_values(file, name, values.data(), values.size(), "importance");
    // The stored values are mean * n_calls; llama-quantize divides the call count back out.
    if (n_calls > 0)
        for (float& v : values) v = v / static_cast<float>(n_calls);
    if (!m.entries.emplace(name, std::move(values)).second)
        fail_input("{}: entry '{}' appears twice", file, name);
}

// Optional trailer: int32 chunk count, then int32 length + dataset name.
void read_legacy_trailer(Cursor& in, Imatrix& m, const std::string& file) {
    if (in.remaining() == 0) return;
    const int32_t n_chunks = in.read_i32("chunk count");
    if (n_chunks < 0) fail_input("{}: negative chunk count {}", file, n_chunks);
    m.n_chunks = n_chunks;
    if (in.remaining() == 0) return;
    const int32_t len = in.read_i32("dataset name length");
    if (len < 0 || static_cast<size_t>(len) > in.remaining())
        fail_input("{}: dataset name length {} does not fit the {} bytes left", file, len,
                   in.remaining());
    if (len > 0) m.datasets.push_back(in.read_string(static_cast<size_t>(len), "dataset name"));
    if (in.remaining() != 0)
        fail_input("{}: {} unexpected bytes after the dataset name", file, in.remaining());
}

// ---- GGUF ------------------------------------------------------------------

struct SumsAndCounts {
    const gguf::TensorInfo* sums = nullptr;
    const gguf::TensorInfo* counts = nullptr;
};

std::map<std::string, SumsAndCounts> pair_tensors(const gguf::GgufFile& f,
                                                  const std::string& file) {
    std::map<std::string, SumsAndCounts> pairs;
    for (const auto& t : f.tensors()) {
        if (ends_with(t.name, kSumsSuffix)) {
            pairs[t.name.substr(0, t.name.size() - kSumsSuffix.size())].sums = &t;
        } else if (ends_with(t.name, kCountsSuffix)) {
            pairs[t.name.substr(0, t.name.size() - kCountsSuffix.size())].counts = &t;
        } else {
            fail_input("{}: not an imatrix: tensor '{}' is neither <name>{} nor <name>{}", file,
                       t.name, kSumsSuffix, kCountsSuffix);
        }
    }
    if (pairs.empty()) fail_input("{}: the imatrix has no entries", file);
    for (const auto& [name, p] : pairs) {
        if (!p.sums)
            fail_input("{}: '{}{}' has no matching '{}{}'", file, name, kCountsSuffix, name,
                       kSumsSuffix);
        if (!p.counts)
            fail_input("{}: '{}{}' has no matching '{}{}'", file, name, kSumsSuffix, name,
                       kCountsSuffix);
        if (p.sums->type != quant::TypeId::F32 || p.counts->type != quant::TypeId::F32)
            fail_input("{}: entry '{}': sums and counts must be F32", file, name);
    }
    return pairs;
}

// in_sum2 [n_per_row, n_matrices] / counts [1, n_matrices] -> averaged [n_matrices][n_per_row].
std::vector<float> average_entry(const std::string& file, const std::string& name,
                                 const SumsAndCounts& p) {
    const int64_t n_values = p.sums->n_elements();
    const int64_t n_matrices = p.counts->n_elements();
    if (n_values < 1 || n_matrices < 1 || n_values % n_matrices != 0)
        fail_input("{}: entry '{}': {} sums do not split into {} matrices", file, name, n_values,
                   n_matrices);
    if (p.sums->shape.size() >= 2 && p.sums->shape[1] != n_matrices)
        fail_input("{}: entry '{}': sums have {} rows but there are {} counts", file, name,
                   p.sums->shape[1], n_matrices);
    const auto* sums = reinterpret_cast<const float*>(p.sums->data);
    const auto* counts = reinterpret_cast<const float*>(p.counts->data);
    check_values(file, name, sums, static_cast<size_t>(n_values), "sum");
    check_values(file, name, counts, static_cast<size_t>(n_matrices), "count");
    const int64_t n_per_row = n_values / n_matrices;
    std::vector<float> out(static_cast<size_t>(n_values));
    for (int64_t j = 0; j < n_matrices; ++j) {
        float count_raw;
        std::memcpy(&count_raw, counts + j, sizeof count_raw);
        // Counts are whole token numbers stored as float; unseen experts get 1.
        const float count = static_cast<float>(std::lround(count_raw));
        for (int64_t i = 0; i < n_per_row; ++i) {
            float s;
            std::memcpy(&s, sums + j * n_per_row + i, sizeof s);
            out[static_cast<size_t>(j * n_per_row + i)] = count > 0.0f ? s / count : 1.0f;
        }
    }
    return out;
}

int64_t required_count(const gguf::GgufFile& f, const std::string& file, std::string_view key) {
    const gguf::Value* v = f.find(key);
    if (!v) fail_input("{}: missing imatrix metadata key {}", file, key);
    auto n = v->as_int();
    if (!n || *n < 0) fail_input("{}: {} must be a non-negative integer", file, key);
    return *n;
}

Imatrix load_gguf_imatrix(const std::string& path) {
    gguf::GgufFile f = gguf::GgufFile::open_single(path);
    Imatrix m;
    m.path = path;
    const auto pairs = pair_tensors(f, path);  // first: is this an imatrix at all?
    const gguf::Value* datasets = f.find("imatrix.datasets");
    if (!datasets) fail_input("{}: missing imatrix metadata key imatrix.datasets", path);
    if (datasets->type != gguf::ValueType::ARRAY || datasets->elem_type != gguf::ValueType::STRING)
        fail_input("{}: imatrix.datasets must be an array of strings", path);
    m.datasets = datasets->array_strings;
    m.n_chunks = required_count(f, path, "imatrix.chunk_count");
    m.chunk_size = required_count(f, path, "imatrix.chunk_size");
    for (const auto& [name, pair] : pairs) m.entries.emplace(name, average_entry(path, name, pair));
    return m;
}

bool has_gguf_magic(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("{}: cannot open: {}", path, std::strerror(errno));
    char magic[4] = {};
    in.read(magic, 4);
    return in.gcount() == 4 && std::memcmp(magic, "GGUF", 4) == 0;
}

}  // namespace

const std::vector<float>* Imatrix::find(std::string_view name) const {
    auto it = entries.find(name);
    return it == entries.end() ? nullptr : &it->second;
}

Imatrix parse_legacy_imatrix(const uint8_t* data, size_t size, const std::string& name) {
    Cursor in(data, size, name);
    Imatrix m;
    m.path = name;
    m.legacy = true;
    const int32_t n_entries = in.read_i32("entry count");
    // Each entry takes at least 17 bytes (three int32, a 1-byte name, one float).
    if (n_entries < 1 || static_cast<size_t>(n_entries) > size / 17)
        fail_input("{}: entry count {} is impossible for a {}-byte file", name, n_entries, size);
    for (int32_t i = 0; i < n_entries; ++i) read_legacy_entry(in, m, i, name);
    read_legacy_trailer(in, m, name);
    return m;
}

Imatrix load_imatrix(const std::string& path) {
    if (has_gguf_magic(path)) return load_gguf_imatrix(path);
    const std::optional<std::string> bytes = read_file(path);
    if (!bytes) fail("{}: cannot read: {}", path, std::strerror(errno));
    return parse_legacy_imatrix(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size(),
                                path);
}

}  // namespace ql::alloc
