// Builds GGUF images byte by byte, so tests can make any file, valid or not.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace ql::test {

class GgufBytes {
  public:
    std::vector<uint8_t> bytes;

    template <typename T>
    GgufBytes& put(T v) {
        const size_t at = bytes.size();
        bytes.resize(at + sizeof(T));
        std::memcpy(bytes.data() + at, &v, sizeof(T));
        return *this;
    }
    GgufBytes& raw(const std::string& s) {
        bytes.insert(bytes.end(), s.begin(), s.end());
        return *this;
    }
    GgufBytes& str(const std::string& s) { return put<uint64_t>(s.size()).raw(s); }

    GgufBytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
        return raw("GGUF").put<uint32_t>(version).put<uint64_t>(n_tensors).put<uint64_t>(n_kv);
    }
    GgufBytes& kv_u32(const std::string& key, uint32_t v) {
        return str(key).put<uint32_t>(4).put<uint32_t>(v);
    }
    GgufBytes& kv_string(const std::string& key, const std::string& v) {
        return str(key).put<uint32_t>(8).str(v);
    }
    // Tensor info: name, dims (ne[0] first), type id, data offset.
    GgufBytes& tensor(const std::string& name, const std::vector<int64_t>& ne, uint32_t type,
                      uint64_t offset) {
        str(name).put<uint32_t>(static_cast<uint32_t>(ne.size()));
        for (int64_t d : ne) put<int64_t>(d);
        return put<uint32_t>(type).put<uint64_t>(offset);
    }
    GgufBytes& pad(size_t alignment = 32) {
        while (bytes.size() % alignment) bytes.push_back(0);
        return *this;
    }
    GgufBytes& zeros(size_t n) {
        bytes.resize(bytes.size() + n, 0);
        return *this;
    }
};

}  // namespace ql::test
