// GGUF files: a validated, mmapped reader (versions 2 and 3, split models read
// as one) and an atomic, streaming writer.
//
// Every count, length, offset and size read from disk is validated with
// overflow-safe arithmetic against the file size before use. Problems throw
// ql::InputError("<file>: <problem>") — one line, exit status 2.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quant/types.hpp"

namespace ql::gguf {

enum class ValueType : uint32_t {
    UINT8 = 0,
    INT8 = 1,
    UINT16 = 2,
    INT16 = 3,
    UINT32 = 4,
    INT32 = 5,
    FLOAT32 = 6,
    BOOL = 7,
    STRING = 8,
    ARRAY = 9,
    UINT64 = 10,
    INT64 = 11,
    FLOAT64 = 12,
};

std::string_view value_type_name(ValueType t);
// Bytes of one scalar of type t (0 for STRING and ARRAY).
size_t value_type_size(ValueType t);

// One metadata value. Scalars keep their exact type and bits so that a file
// round-trips byte for byte.
struct Value {
    ValueType type = ValueType::UINT32;
    ValueType elem_type = ValueType::UINT8;  // arrays only
    uint64_t scalar_bits = 0;                // numeric/bool scalars: little-endian raw bits
    std::string str;                         // STRING
    std::vector<uint8_t> array_raw;          // numeric/bool arrays: packed little-endian elements
    std::vector<std::string> array_strings;  // arrays of strings

    // Constructors for the writer and for tests.
    static Value u16(uint16_t v);
    static Value u32(uint32_t v);
    static Value i32(int32_t v);
    static Value u64(uint64_t v);
    static Value f32(float v);
    static Value boolean(bool v);
    static Value string(std::string v);
    static Value string_array(std::vector<std::string> v);
    static Value f32_array(const std::vector<float>& v);
    static Value i32_array(const std::vector<int32_t>& v);
    static Value u32_array(const std::vector<uint32_t>& v);

    bool is_integer() const;  // any signed/unsigned integer scalar
    bool is_float() const;    // FLOAT32/FLOAT64 scalar
    size_t array_size() const;
    // Coercing accessors; nullopt when the type does not fit (e.g. a string
    // asked as an integer, a negative value asked as unsigned).
    std::optional<int64_t> as_int() const;
    std::optional<uint64_t> as_uint() const;
    std::optional<double> as_float() const;  // integers convert too
    std::optional<bool> as_bool() const;
    // Numeric array element i as double / int64 (no bounds check beyond i < array_size()).
    double array_float(size_t i) const;
    int64_t array_int(size_t i) const;

    bool operator==(const Value&) const = default;
};

struct TensorInfo {
    std::string name;
    quant::TypeId type = quant::TypeId::F32;
    std::vector<int64_t> shape;     // ne[0] first (the contiguous dimension), 1..4 dims
    uint64_t offset = 0;            // relative to the data section of its file
    uint64_t n_bytes = 0;           // validated against shape and type
    int file_index = 0;             // which file of a split model holds it
    const uint8_t* data = nullptr;  // into the mmapped file; valid while the GgufFile lives

    int64_t n_elements() const;  // -1 if the shape is invalid (never for a parsed file)
    int64_t n_rows() const;      // product of shape[1..]
};

// Where a file's bytes live while it is open.
enum class Residence {
    Mapped,  // mmap of the file: pages come and go with the page cache (info, dump, quantize)
    Loaded,  // read once into anonymous memory advised for transparent huge pages: fewer TLB
             // misses when the engine streams every weight per token, and writable in place
             // (load-time repacking); resident size = file size
};

class MappedFile;  // the bytes of one file (gguf/mapped_file.hpp)

// Where things sit in one file of a model (offsets from the file's start).
// Tensor data is accepted at any aligned, non-overlapping offset inside the
// file (ggml itself insists on add order with minimal padding).
struct FileLayout {
    std::string path;
    uint64_t file_size = 0;
    uint64_t header_bytes = 0;  // end of the last tensor info (before padding)
    uint64_t data_offset = 0;   // start of the data section (header_bytes aligned up)
    int64_t n_tensors = 0;      // tensors stored in this file
};

// A GGUF model: one file, or every part of a split model (NAME-0000k-of-0000N.gguf)
// merged into one view. Metadata comes from the first part (the split.* keys
// are kept); tensors are the union of all parts in order.
class GgufFile {
  public:
    // Opens `path`; if it is a part of a split model (split.count > 1), opens
    // every part, checks split.no / split.count / split.tensors.count and that
    // tensor names are unique across parts. path() stays the path given.
    // Throws ql::InputError("<path>: <problem>") naming the offending file.
    static GgufFile open(const std::string& path, Residence residence = Residence::Mapped);
    // Opens exactly this one file, never following split parts.
    static GgufFile open_single(const std::string& path, Residence residence = Residence::Mapped);
    // Parses a GGUF image held in memory (for the fuzzer and tests); `name`
    // is used in error messages. The buffer must outlive the object.
    static GgufFile parse(const uint8_t* data, size_t size, const std::string& name);

    GgufFile(GgufFile&&) noexcept;
    GgufFile& operator=(GgufFile&&) noexcept;
    ~GgufFile();

    const std::string& path() const { return path_; }
    uint32_t version() const { return version_; }
    uint64_t alignment() const { return alignment_; }
    int n_files() const { return static_cast<int>(layouts_.size()); }
    // One entry per file (part) of the model, in part order.
    const std::vector<FileLayout>& files() const { return layouts_; }

    // Metadata in file order.
    const std::vector<std::pair<std::string, Value>>& metadata() const { return metadata_; }
    const Value* find(std::string_view key) const;
    std::optional<std::string> get_string(std::string_view key) const;
    std::optional<int64_t> get_int(std::string_view key) const;
    std::optional<double> get_float(std::string_view key) const;
    std::optional<bool> get_bool(std::string_view key) const;
    // general.architecture, or "" if absent.
    std::string architecture() const;

    const std::vector<TensorInfo>& tensors() const { return tensors_; }
    const TensorInfo* find_tensor(std::string_view name) const;

    // Total bytes of tensor data / total elements over all tensors.
    uint64_t tensor_bytes() const;
    uint64_t n_elements() const;

  private:
    GgufFile() = default;
    std::string path_;
    uint32_t version_ = 3;
    uint64_t alignment_ = 32;
    std::vector<std::pair<std::string, Value>> metadata_;
    std::map<std::string, size_t, std::less<>> metadata_index_;
    std::vector<TensorInfo> tensors_;
    std::map<std::string, size_t, std::less<>> tensor_index_;
    std::vector<std::unique_ptr<MappedFile>> files_;
    std::vector<FileLayout> layouts_;
    friend class GgufParser;
    friend class SplitLoader;
};

// Streaming writer. Usage:
//   GgufWriter w("out.gguf");
//   w.set_metadata(...);  w.add_tensor(name, type, shape) ...
//   w.begin();                       // writes the header to "out.gguf.tmp.<pid>"
//   w.write_tensor_data(i, bytes)    // in add order, exactly n_bytes each
//   w.finish();                      // pads, flushes, renames to out.gguf
// Destroying a writer that did not finish removes the temporary file.
class GgufWriter {
  public:
    explicit GgufWriter(std::string path, uint32_t version = 3);
    ~GgufWriter();
    GgufWriter(const GgufWriter&) = delete;
    GgufWriter& operator=(const GgufWriter&) = delete;

    // Insert or replace (keeping position) a key. ggml's gguf_set_* moves a
    // replaced key to the end instead: remove() then set() to get that order.
    void set(const std::string& key, Value v);
    void remove(const std::string& key);
    // Copies every metadata pair of `f` in order.
    void copy_metadata(const GgufFile& f);
    // Alignment is taken from general.alignment if set, else 32.
    // Returns the tensor's index.
    size_t add_tensor(const std::string& name, quant::TypeId type,
                      const std::vector<int64_t>& shape);
    uint64_t tensor_bytes(size_t index) const;
    size_t n_tensors() const;
    // ggml's writer pads the header to the alignment even when there are no
    // tensors (the default); gguf-py's metadata-only files end unpadded.
    void set_pad_without_tensors(bool pad);
    // ggml's writer stores ggml_n_dims(): trailing dimensions of 1 dropped
    // (a [4096, 1] tensor is written with one dimension). Off by default, so
    // that shapes round-trip exactly as given; turn it on to match files
    // written by llama-quantize from sources that keep trailing 1s.
    void set_trim_unit_dims(bool trim);

    void begin();
    void write_tensor_data(size_t index, const void* data, size_t n_bytes);
    void finish();

    // Convenience: everything in one call, data given per tensor in add order.
    void write_all(const std::vector<const void*>& data);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Splits "dir/NAME-00002-of-00005.gguf" into prefix "dir/NAME", index 2 (1-based)
// and count 5; nullopt when the name does not follow llama.cpp's split pattern.
struct SplitName {
    std::string prefix;
    int index = 0;
    int count = 0;
};
std::optional<SplitName> parse_split_name(const std::string& path);
std::string make_split_name(const std::string& prefix, int index, int count);

// Writes every metadata pair and tensor of `src` (all parts merged) to one file
// at `path`. The split.* keys of a split source are dropped. A file written by
// ggml's writer is reproduced byte for byte.
void write_copy(const GgufFile& src, const std::string& path);

// How to cut a model into parts, as llama.cpp's gguf-split does: a new part
// starts when the current one holds max_tensors tensors, or when adding the
// next tensor (its size padded to the alignment) would pass max_bytes.
// Zero means no limit of that kind.
struct SplitOptions {
    int64_t max_tensors = 0;
    uint64_t max_bytes = 0;
    bool no_tensors_in_first = false;  // first part holds metadata only
};
// Writes `src` as parts prefix-00001-of-0000N.gguf ...; the first part carries
// all metadata, every part carries split.no (u16), split.count (u16) and
// split.tensors.count (i32). Returns the paths written.
std::vector<std::string> write_split(const GgufFile& src, const std::string& prefix,
                                     const SplitOptions& options);

}  // namespace ql::gguf
