// libFuzzer entry for the GGUF reader: any input must parse or throw
// ql::InputError -- never crash, hang, leak, read outside the buffer, or throw
// anything else (an escaping exception is reported as a crash).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gguf/gguf.hpp"
#include "util/error.hpp"

namespace {

// Reads everything a consumer would: every accessor on every value, every
// tensor's bytes. Returns a checksum so nothing is optimized away.
uint64_t touch(const ql::gguf::GgufFile& f) {
    using ql::gguf::ValueType;
    uint64_t sum = f.version() + f.alignment() + f.architecture().size();
    for (const auto& [key, v] : f.metadata()) {
        sum += key.size() + v.as_int().value_or(0) + v.as_uint().value_or(0);
        sum += static_cast<uint64_t>(v.as_float().value_or(0) != 0) + v.as_bool().value_or(false);
        sum += f.find(key) == &v;
        const size_t n = v.array_size();
        if (v.type != ValueType::ARRAY || n == 0) continue;
        if (v.elem_type == ValueType::STRING) {
            sum += v.array_strings[n - 1].size();
        } else {
            sum += static_cast<uint64_t>(v.array_float(n - 1) != 0);
            try {
                sum += static_cast<uint64_t>(v.array_int(0));
            } catch (const ql::Error&) {  // a float that does not fit an integer
            }
        }
    }
    for (const auto& t : f.tensors()) {
        sum +=
            t.n_bytes + static_cast<uint64_t>(t.n_elements()) + static_cast<uint64_t>(t.n_rows());
        sum += f.find_tensor(t.name) == &t;
        if (t.n_bytes > 0) sum += t.data[0] + t.data[t.n_bytes - 1];
    }
    return sum + f.tensor_bytes() + f.n_elements();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // A private copy of exactly `size` bytes, so ASan sees any overread.
    std::vector<uint8_t> copy(data, data + size);
    try {
        const auto f = ql::gguf::GgufFile::parse(copy.data(), copy.size(), "fuzz.gguf");
        volatile uint64_t sink = touch(f);
        (void)sink;
    } catch (const ql::InputError&) {
    }
    return 0;
}
