// The streaming GGUF writer: header and tensor infos first, then tensor data
// in add order, each padded with zeros to the alignment. Output goes to a
// temporary file that is renamed into place by finish().
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "gguf/gguf.hpp"
#include "util/checked.hpp"
#include "util/error.hpp"

namespace ql::gguf {

namespace {

constexpr size_t kMaxTensorNameLength = 63;
constexpr uint64_t kDefaultAlignment = 32;

struct PlannedTensor {
    std::string name;
    quant::TypeId type;
    std::vector<int64_t> shape;
    uint64_t n_bytes = 0;
    uint64_t offset = 0;  // relative to the data section, assigned by begin()
};

// Appends little-endian encodings to a byte buffer.
class Encoder {
  public:
    explicit Encoder(std::vector<uint8_t>& out) : out_(out) {}

    template <typename T>
    void put(T v) {
        put_bytes(&v, sizeof(T));
    }
    void put_bytes(const void* p, size_t n) {
        if (n == 0) return;
        const size_t at = out_.size();
        out_.resize(at + n);
        std::memcpy(out_.data() + at, p, n);
    }
    void put_string(const std::string& s) {
        put<uint64_t>(s.size());
        put_bytes(s.data(), s.size());
    }
    void put_value(const std::string& key, const Value& v);

  private:
    std::vector<uint8_t>& out_;
};

void Encoder::put_value(const std::string& key, const Value& v) {
    put<uint32_t>(static_cast<uint32_t>(v.type));
    if (v.type == ValueType::STRING) return put_string(v.str);
    if (v.type != ValueType::ARRAY) return put_bytes(&v.scalar_bits, value_type_size(v.type));
    put<uint32_t>(static_cast<uint32_t>(v.elem_type));
    if (v.elem_type == ValueType::STRING) {
        put<uint64_t>(v.array_strings.size());
        for (const std::string& s : v.array_strings) put_string(s);
        return;
    }
    const size_t elem = value_type_size(v.elem_type);
    if (elem == 0)
        fail("metadata '{}': arrays of {} cannot be written", key, value_type_name(v.elem_type));
    if (v.array_raw.size() % elem != 0)
        fail("metadata '{}': {} bytes is not a whole number of {} elements", key,
             v.array_raw.size(), value_type_name(v.elem_type));
    put<uint64_t>(v.array_raw.size() / elem);
    put_bytes(v.array_raw.data(), v.array_raw.size());
}

// Bytes of a tensor of this type and shape; throws ql::Error on a bad shape.
uint64_t checked_tensor_bytes(const std::string& name, const quant::TypeTraits& t,
                              const std::vector<int64_t>& shape) {
    if (shape.empty() || shape.size() > 4)
        fail("tensor '{}': {} dimensions (must be 1 to 4)", name, shape.size());
    uint64_t n_elements = 1, rows = 1;
    for (size_t d = 0; d < shape.size(); ++d) {
        if (shape[d] < 0) fail("tensor '{}': negative dimension {}", name, shape[d]);
        const auto p = checked_mul(n_elements, static_cast<uint64_t>(shape[d]));
        if (!p || *p > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            fail("tensor '{}': element count overflows int64", name);
        n_elements = *p;
        if (d > 0) rows *= static_cast<uint64_t>(shape[d]);
    }
    const auto row = quant::row_bytes(t, static_cast<uint64_t>(shape[0]));
    if (!row)
        fail("tensor '{}': {} values per row is not a multiple of the {} block size {}", name,
             shape[0], t.name, t.block_size);
    const auto bytes = checked_mul(*row, shape[0] == 0 ? 0 : rows);
    if (!bytes) fail("tensor '{}': size in bytes overflows", name);
    return *bytes;
}

}  // namespace

struct GgufWriter::Impl {
    enum class State { Planning, Writing, Finished };

    std::string path, temp_path;
    uint32_t version = 3;
    std::vector<std::pair<std::string, Value>> metadata;
    std::vector<PlannedTensor> tensors;
    std::unordered_set<std::string> tensor_names;
    bool pad_without_tensors = true;
    bool trim_unit_dims = false;
    State state = State::Planning;
    std::FILE* file = nullptr;
    uint64_t written = 0;  // bytes written to the file so far
    size_t next_tensor = 0;
    uint64_t alignment = kDefaultAlignment;

    void require_state(State s, const char* what) const {
        if (state != s) fail("{}: {} called in the wrong order", path, what);
    }
    void write(const void* p, size_t n) {
        if (n > 0 && std::fwrite(p, 1, n, file) != n)
            fail("{}: write failed: {}", temp_path, std::strerror(errno));
        written += n;
    }
    void pad_to_alignment() {
        static const uint8_t zeros[256] = {};
        while (written % alignment != 0) {
            const uint64_t need = alignment - written % alignment;
            write(zeros, static_cast<size_t>(std::min<uint64_t>(need, sizeof(zeros))));
        }
    }
    void resolve_alignment();
    std::vector<uint8_t> encode_header() const;
};

void GgufWriter::Impl::resolve_alignment() {
    alignment = kDefaultAlignment;
    for (const auto& [key, v] : metadata) {
        if (key != "general.alignment") continue;
        if (v.type != ValueType::UINT32 || v.scalar_bits == 0 ||
            (v.scalar_bits & (v.scalar_bits - 1)) != 0)
            fail("{}: general.alignment must be a u32 power of two", path);
        alignment = v.scalar_bits;
    }
}

std::vector<uint8_t> GgufWriter::Impl::encode_header() const {
    std::vector<uint8_t> out;
    Encoder e(out);
    e.put_bytes("GGUF", 4);
    e.put<uint32_t>(version);
    e.put<uint64_t>(tensors.size());
    e.put<uint64_t>(metadata.size());
    for (const auto& [key, v] : metadata) {
        e.put_string(key);
        e.put_value(key, v);
    }
    for (const PlannedTensor& t : tensors) {
        e.put_string(t.name);
        size_t n_dims = t.shape.size();
        while (trim_unit_dims && n_dims > 1 && t.shape[n_dims - 1] == 1) --n_dims;
        e.put<uint32_t>(static_cast<uint32_t>(n_dims));
        for (size_t d = 0; d < n_dims; ++d) e.put<int64_t>(t.shape[d]);
        e.put<uint32_t>(static_cast<uint32_t>(t.type));
        e.put<uint64_t>(t.offset);
    }
    return out;
}

GgufWriter::GgufWriter(std::string path, uint32_t version) : impl_(std::make_unique<Impl>()) {
    if (version != 2 && version != 3) fail("{}: cannot write GGUF version {}", path, version);
    impl_->path = std::move(path);
    impl_->temp_path = impl_->path + ".tmp." + std::to_string(::getpid());
    impl_->version = version;
}

GgufWriter::~GgufWriter() {
    if (impl_->file) std::fclose(impl_->file);
    if (impl_->state == Impl::State::Writing) std::remove(impl_->temp_path.c_str());
}

void GgufWriter::set(const std::string& key, Value v) {
    impl_->require_state(Impl::State::Planning, "set");
    if (key.empty()) fail("{}: empty metadata key", impl_->path);
    if (v.type == ValueType::ARRAY && v.elem_type == ValueType::ARRAY)
        fail("{}: metadata '{}': arrays of arrays are not supported", impl_->path, key);
    for (auto& [k, old] : impl_->metadata)
        if (k == key) {
            old = std::move(v);
            return;
        }
    impl_->metadata.emplace_back(key, std::move(v));
}

void GgufWriter::remove(const std::string& key) {
    impl_->require_state(Impl::State::Planning, "remove");
    std::erase_if(impl_->metadata, [&](const auto& kv) { return kv.first == key; });
}

void GgufWriter::copy_metadata(const GgufFile& f) {
    for (const auto& [key, v] : f.metadata()) set(key, v);
}

size_t GgufWriter::add_tensor(const std::string& name, quant::TypeId type,
                              const std::vector<int64_t>& shape) {
    impl_->require_state(Impl::State::Planning, "add_tensor");
    if (name.empty() || name.size() > kMaxTensorNameLength)
        fail("{}: tensor name '{}' must have 1 to {} bytes", impl_->path, name,
             kMaxTensorNameLength);
    if (impl_->tensor_names.count(name)) fail("{}: duplicate tensor '{}'", impl_->path, name);
    const quant::TypeTraits* traits = quant::find_type(type);
    if (!traits)
        fail("{}: tensor '{}': unknown type id {}", impl_->path, name, static_cast<uint32_t>(type));
    PlannedTensor t{name, type, shape, checked_tensor_bytes(name, *traits, shape), 0};
    impl_->tensor_names.insert(name);
    impl_->tensors.push_back(std::move(t));
    return impl_->tensors.size() - 1;
}

uint64_t GgufWriter::tensor_bytes(size_t index) const {
    if (index >= impl_->tensors.size()) fail("{}: no tensor {}", impl_->path, index);
    return impl_->tensors[index].n_bytes;
}

size_t GgufWriter::n_tensors() const {
    return impl_->tensors.size();
}

void GgufWriter::set_pad_without_tensors(bool pad) {
    impl_->pad_without_tensors = pad;
}

void GgufWriter::set_trim_unit_dims(bool trim) {
    impl_->trim_unit_dims = trim;
}

void GgufWriter::begin() {
    Impl& w = *impl_;
    w.require_state(Impl::State::Planning, "begin");
    w.resolve_alignment();
    uint64_t offset = 0;  // tensor data offsets in add order, each aligned
    for (PlannedTensor& t : w.tensors) {
        t.offset = offset;
        const auto end = checked_add(offset, t.n_bytes);
        const auto next = end ? checked_align(*end, w.alignment) : std::nullopt;
        if (!next) fail("{}: tensor data size overflows", w.path);
        offset = *next;
    }
    const std::vector<uint8_t> header = w.encode_header();
    w.file = std::fopen(w.temp_path.c_str(), "wb");
    if (!w.file) fail("{}: cannot create: {}", w.temp_path, std::strerror(errno));
    w.state = Impl::State::Writing;
    w.write(header.data(), header.size());
    if (!w.tensors.empty() || w.pad_without_tensors) w.pad_to_alignment();
}

void GgufWriter::write_tensor_data(size_t index, const void* data, size_t n_bytes) {
    Impl& w = *impl_;
    w.require_state(Impl::State::Writing, "write_tensor_data");
    if (index >= w.tensors.size()) fail("{}: no tensor {}", w.path, index);
    if (index != w.next_tensor)
        fail("{}: tensor data must come in add order: expected tensor {}, got {}", w.path,
             w.next_tensor, index);
    const PlannedTensor& t = w.tensors[index];
    if (n_bytes != t.n_bytes)
        fail("{}: tensor '{}' needs {} bytes, got {}", w.path, t.name, t.n_bytes, n_bytes);
    w.write(data, n_bytes);
    w.pad_to_alignment();
    ++w.next_tensor;
}

void GgufWriter::finish() {
    Impl& w = *impl_;
    w.require_state(Impl::State::Writing, "finish");
    if (w.next_tensor != w.tensors.size())
        fail("{}: finish() after {} of {} tensors", w.path, w.next_tensor, w.tensors.size());
    std::FILE* f = w.file;
    w.file = nullptr;
    // Data reaches the disk before the name does: a crash never leaves a
    // complete-looking but truncated file under the final name.
    const bool flushed = std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
    const bool closed = std::fclose(f) == 0;
    if (!flushed || !closed) fail("{}: write failed: {}", w.temp_path, std::strerror(errno));
    if (std::rename(w.temp_path.c_str(), w.path.c_str()) != 0)
        fail("{}: cannot rename from {}: {}", w.path, w.temp_path, std::strerror(errno));
    w.state = Impl::State::Finished;
}

void GgufWriter::write_all(const std::vector<const void*>& data) {
    if (data.size() != impl_->tensors.size())
        fail("{}: {} data pointers for {} tensors", impl_->path, data.size(),
             impl_->tensors.size());
    begin();
    for (size_t i = 0; i < data.size(); ++i) write_tensor_data(i, data[i], tensor_bytes(i));
    finish();
}

}  // namespace ql::gguf
