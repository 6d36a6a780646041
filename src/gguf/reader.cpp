// The validated GGUF parser: header, metadata, tensor infos and the placement
// of tensor data, each checked against the file size before use.
#include <algorithm>
#include <limits>

#include "gguf/cursor.hpp"
#include "gguf/gguf.hpp"
#include "gguf/mapped_file.hpp"
#include "util/checked.hpp"
#include "util/error.hpp"

namespace ql::gguf {

namespace {

constexpr uint32_t kMaxDims = 4;
constexpr size_t kMaxTensorNameLength = 63;  // ggml keeps names in char[64]
constexpr uint64_t kDefaultAlignment = 32;
// Smallest possible encodings, used to bound counts by the bytes left.
constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;  // key len, key, type, u8 value
constexpr uint64_t kMinTensorInfoBytes =
    8 + 1 + 4 + 8 + 4 + 8;  // name len+1, n_dims, ne, type, offset
// Counts are bounded by the file size, but one entry in memory is larger than
// its smallest encoding: reserve at most this many up front, grow beyond.
constexpr uint64_t kMaxReserve = 1 << 16;

size_t reserve_hint(uint64_t n) {
    return static_cast<size_t>(std::min(n, kMaxReserve));
}

bool is_known_value_type(uint32_t t) {
    return t <= static_cast<uint32_t>(ValueType::FLOAT64);
}

}  // namespace

// Parses one GGUF image into a GgufFile (friend: fills its private members).
class GgufParser {
  public:
    GgufParser(GgufFile& out, const MappedFile& file)
        : out_(out), cur_(file.data(), file.size(), file.path()) {}

    void run() {
        const auto [n_tensors, n_kv] = read_header();
        read_metadata(n_kv);
        read_alignment();
        read_tensor_infos(n_tensors);
        place_tensor_data();
    }

  private:
    template <typename... Args>
    [[noreturn]] void bad(fmt::format_string<Args...> f, Args&&... args) const {
        throw InputError(cur_.name() + ": " + fmt::format(f, std::forward<Args>(args)...));
    }

    std::pair<uint64_t, uint64_t> read_header();
    void read_metadata(uint64_t n_kv);
    Value read_value(ValueType type, const std::string& key);
    Value read_array(const std::string& key);
    void read_alignment();
    void read_tensor_infos(uint64_t n_tensors);
    TensorInfo read_tensor_info(uint64_t index);
    void read_shape(TensorInfo& t, uint32_t n_dims);
    void size_tensor(TensorInfo& t);
    void place_tensor_data();

    GgufFile& out_;
    Cursor cur_;
};

std::pair<uint64_t, uint64_t> GgufParser::read_header() {
    if (cur_.size() == 0) bad("empty file (not a GGUF file)");
    if (cur_.size() < 4) bad("file too small to be GGUF ({} bytes)", cur_.size());
    char magic[4];
    cur_.read_bytes(magic, 4, "magic");
    if (std::memcmp(magic, "GGUF", 4) != 0) {
        std::string shown;
        for (char c : magic) shown += (c >= 32 && c < 127) ? c : '?';
        bad("bad magic '{}' (not a GGUF file)", shown);
    }
    const uint32_t version = cur_.read<uint32_t>("version");
    if ((version & 0xffffu) == 0 && version != 0)
        bad("version field {:#x} looks byte-swapped: big-endian GGUF files are not supported",
            version);
    if (version == 1) bad("GGUF version 1 is not supported (only versions 2 and 3)");
    if (version < 2 || version > 3)
        bad("unsupported GGUF version {} (only versions 2 and 3)", version);
    out_.version_ = version;

    const uint64_t n_tensors = cur_.read<uint64_t>("tensor count");
    const uint64_t n_kv = cur_.read<uint64_t>("metadata count");
    // Each entry needs a minimum number of bytes: bound the counts by what is left.
    if (n_kv > cur_.remaining() / kMinKvBytes)
        bad("header claims {} metadata pairs but the file has room for at most {}", n_kv,
            cur_.remaining() / kMinKvBytes);
    if (n_tensors > cur_.remaining() / kMinTensorInfoBytes)
        bad("header claims {} tensors but the file has room for at most {}", n_tensors,
            cur_.remaining() / kMinTensorInfoBytes);
    return {n_tensors, n_kv};
}

void GgufParser::read_metadata(uint64_t n_kv) {
    out_.metadata_.reserve(reserve_hint(n_kv));
    for (uint64_t i = 0; i < n_kv; ++i) {
        std::string key = cur_.read_string("metadata key");
        if (key.empty()) bad("metadata key {} is empty", i);
        if (out_.metadata_index_.count(key)) bad("duplicate metadata key {}", printable_name(key));
        const uint32_t type = cur_.read<uint32_t>("metadata value type");
        if (!is_known_value_type(type))
            bad("metadata key {} has unknown value type {}", printable_name(key), type);
        Value v = read_value(static_cast<ValueType>(type), key);
        out_.metadata_index_.emplace(key, out_.metadata_.size());
        out_.metadata_.emplace_back(std::move(key), std::move(v));
    }
}

Value GgufParser::read_value(ValueType type, const std::string& key) {
    if (type == ValueType::ARRAY) return read_array(key);
    Value v;
    v.type = type;
    if (type == ValueType::STRING) {
        v.str = cur_.read_string("string value");
        return v;
    }
    cur_.read_bytes(&v.scalar_bits, value_type_size(type), "metadata value");
    return v;
}

Value GgufParser::read_array(const std::string& key) {
    Value v;
    v.type = ValueType::ARRAY;
    const uint32_t elem = cur_.read<uint32_t>("array element type");
    if (!is_known_value_type(elem))
        bad("array {} has unknown element type {}", printable_name(key), elem);
    v.elem_type = static_cast<ValueType>(elem);
    if (v.elem_type == ValueType::ARRAY)
        bad("array {} holds arrays (not supported)", printable_name(key));
    const uint64_t n = cur_.read<uint64_t>("array length");
    // Strings take at least their 8-byte length each; scalars their size.
    const uint64_t min_elem = v.elem_type == ValueType::STRING ? 8 : value_type_size(v.elem_type);
    const auto min_bytes = checked_mul(n, min_elem);
    if (!min_bytes || *min_bytes > cur_.remaining())
        bad("array {} claims {} elements of type {} but only {} bytes remain", printable_name(key),
            n, value_type_name(v.elem_type), cur_.remaining());
    if (v.elem_type == ValueType::STRING) {
        v.array_strings.reserve(reserve_hint(n));
        for (uint64_t i = 0; i < n; ++i) v.array_strings.push_back(cur_.read_string("string"));
    } else {
        v.array_raw.resize(static_cast<size_t>(*min_bytes));
        cur_.read_bytes(v.array_raw.data(), *min_bytes, "array data");
    }
    return v;
}

void GgufParser::read_alignment() {
    out_.alignment_ = kDefaultAlignment;
    const Value* a = out_.find("general.alignment");
    if (!a) return;
    if (a->type != ValueType::UINT32)
        bad("general.alignment must be of type u32, not {}", value_type_name(a->type));
    const uint64_t align = a->scalar_bits;
    if (align == 0 || (align & (align - 1)) != 0)
        bad("general.alignment {} is not a power of two", align);
    out_.alignment_ = align;
}

void GgufParser::read_tensor_infos(uint64_t n_tensors) {
    if (n_tensors > cur_.remaining() / kMinTensorInfoBytes)
        bad("header claims {} tensors but the file has room for at most {}", n_tensors,
            cur_.remaining() / kMinTensorInfoBytes);
    out_.tensors_.reserve(reserve_hint(n_tensors));
    for (uint64_t i = 0; i < n_tensors; ++i) {
        TensorInfo t = read_tensor_info(i);
        out_.tensor_index_.emplace(t.name, out_.tensors_.size());
        out_.tensors_.push_back(std::move(t));
    }
}

TensorInfo GgufParser::read_tensor_info(uint64_t index) {
    TensorInfo t;
    t.name = cur_.read_string("tensor name");
    if (t.name.empty()) bad("tensor {} has an empty name", index);
    if (t.name.size() > kMaxTensorNameLength)
        bad("tensor name {} is longer than {} bytes", printable_name(t.name), kMaxTensorNameLength);
    if (out_.tensor_index_.count(t.name)) bad("duplicate tensor name {}", printable_name(t.name));
    const uint32_t n_dims = cur_.read<uint32_t>("tensor dimension count");
    if (n_dims < 1 || n_dims > kMaxDims)
        bad("tensor {} has {} dimensions (must be 1 to {})", printable_name(t.name), n_dims,
            kMaxDims);
    read_shape(t, n_dims);
    const uint32_t type = cur_.read<uint32_t>("tensor type");
    const quant::TypeTraits* traits = quant::find_type(type);
    if (!traits) bad("tensor {} has unknown type id {}", printable_name(t.name), type);
    t.type = traits->id;
    size_tensor(t);
    t.offset = cur_.read<uint64_t>("tensor data offset");
    return t;
}

void GgufParser::read_shape(TensorInfo& t, uint32_t n_dims) {
    t.shape.resize(n_dims);
    // The product of the non-zero dimensions must fit int64, so that element
    // and row counts stay representable even when another dimension is 0.
    uint64_t product = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
        t.shape[d] = cur_.read<int64_t>("tensor dimension");
        if (t.shape[d] < 0)
            bad("tensor {} has negative dimension {} = {}", printable_name(t.name), d, t.shape[d]);
        const auto p = checked_mul(product, std::max<uint64_t>(1, t.shape[d]));
        if (!p || *p > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            bad("tensor {} element count overflows int64", printable_name(t.name));
        product = *p;
    }
}

// Sets t.n_bytes from the registry: bytes per row times the number of rows.
void GgufParser::size_tensor(TensorInfo& t) {
    const quant::TypeTraits& traits = quant::type_traits(t.type);
    const auto row = quant::row_bytes(traits, static_cast<uint64_t>(t.shape[0]));
    if (!row)
        bad("tensor {} of type {} has {} values per row, not a multiple of the block size {}",
            printable_name(t.name), traits.name, t.shape[0], traits.block_size);
    uint64_t rows = 1;  // read_shape() bounded this product
    for (size_t d = 1; d < t.shape.size(); ++d) rows *= static_cast<uint64_t>(t.shape[d]);
    if (t.shape[0] == 0) rows = 0;
    const auto bytes = checked_mul(*row, rows);
    if (!bytes) bad("tensor {} size in bytes overflows", printable_name(t.name));
    t.n_bytes = *bytes;
}

void GgufParser::place_tensor_data() {
    FileLayout layout;
    layout.path = cur_.name();
    layout.file_size = cur_.size();
    layout.header_bytes = cur_.pos();
    layout.n_tensors = static_cast<int64_t>(out_.tensors_.size());
    const auto data_offset = checked_align(cur_.pos(), out_.alignment_);
    if (!data_offset) bad("data section offset overflows");
    layout.data_offset = *data_offset;
    if (!out_.tensors_.empty() && *data_offset > cur_.size())
        bad("truncated file: data section would start at {} but the file has {} bytes",
            *data_offset, cur_.size());
    const uint64_t data_bytes = cur_.size() - std::min<uint64_t>(*data_offset, cur_.size());
    const uint8_t* base = out_.files_.back()->data();
    for (TensorInfo& t : out_.tensors_) {
        if (t.offset % out_.alignment_ != 0)
            bad("tensor {} data offset {} is not a multiple of the alignment {}",
                printable_name(t.name), t.offset, out_.alignment_);
        const auto end = checked_add(t.offset, t.n_bytes);
        if (!end || *end > data_bytes)
            bad("tensor {} data ({} bytes at data offset {}) runs past the end of the file",
                printable_name(t.name), t.n_bytes, t.offset);
        t.data = base ? base + *data_offset + t.offset : nullptr;
    }
    // Overlap: sort non-empty tensors by offset; each must end before the next begins.
    std::vector<const TensorInfo*> by_offset;
    for (const TensorInfo& t : out_.tensors_)
        if (t.n_bytes > 0) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < by_offset.size(); ++i) {
        const TensorInfo& prev = *by_offset[i - 1];
        if (prev.offset + prev.n_bytes > by_offset[i]->offset)
            bad("tensors {} and {} overlap in the data section", printable_name(prev.name),
                printable_name(by_offset[i]->name));
    }
    out_.layouts_.push_back(std::move(layout));
}

// ---------------------------------------------------------------------------
// GgufFile

GgufFile::GgufFile(GgufFile&&) noexcept = default;
GgufFile& GgufFile::operator=(GgufFile&&) noexcept = default;
GgufFile::~GgufFile() = default;

GgufFile GgufFile::parse(const uint8_t* data, size_t size, const std::string& name) {
    GgufFile f;
    f.path_ = name;
    f.files_.push_back(MappedFile::borrow(data, size, name));
    GgufParser(f, *f.files_.back()).run();
    return f;
}

GgufFile GgufFile::open_single(const std::string& path, Residence residence) {
    GgufFile f;
    f.path_ = path;
    f.files_.push_back(MappedFile::open(path, residence));
    GgufParser(f, *f.files_.back()).run();
    return f;
}

const Value* GgufFile::find(std::string_view key) const {
    auto it = metadata_index_.find(key);
    return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

std::optional<std::string> GgufFile::get_string(std::string_view key) const {
    const Value* v = find(key);
    if (!v || v->type != ValueType::STRING) return std::nullopt;
    return v->str;
}

std::optional<int64_t> GgufFile::get_int(std::string_view key) const {
    const Value* v = find(key);
    return v ? v->as_int() : std::nullopt;
}

std::optional<double> GgufFile::get_float(std::string_view key) const {
    const Value* v = find(key);
    return v ? v->as_float() : std::nullopt;
}

std::optional<bool> GgufFile::get_bool(std::string_view key) const {
    const Value* v = find(key);
    return v ? v->as_bool() : std::nullopt;
}

std::string GgufFile::architecture() const {
    return get_string("general.architecture").value_or("");
}

const TensorInfo* GgufFile::find_tensor(std::string_view name) const {
    auto it = tensor_index_.find(name);
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

uint64_t GgufFile::tensor_bytes() const {
    uint64_t sum = 0;
    for (const TensorInfo& t : tensors_) sum += t.n_bytes;
    return sum;
}

uint64_t GgufFile::n_elements() const {
    uint64_t sum = 0;
    for (const TensorInfo& t : tensors_) sum += static_cast<uint64_t>(t.n_elements());
    return sum;
}

int64_t TensorInfo::n_elements() const {
    if (shape.empty()) return 0;
    int64_t n = 1;
    for (int64_t d : shape) {
        int64_t r;
        if (d < 0 || __builtin_mul_overflow(n, d, &r)) return -1;
        n = r;
    }
    return n;
}

int64_t TensorInfo::n_rows() const {
    if (shape.empty()) return 0;
    int64_t n = 1;
    for (size_t d = 1; d < shape.size(); ++d) {
        int64_t r;
        if (shape[d] < 0 || __builtin_mul_overflow(n, shape[d], &r)) return -1;
        n = r;
    }
    return n;
}

}  // namespace ql::gguf
