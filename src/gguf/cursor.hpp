// A bounds-checked little-endian reader over an untrusted byte buffer. Every
// read checks the remaining bytes first and throws
// ql::InputError("<name>: <problem>") when the file is too short.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace ql::gguf {

// A name read from the file, quoted and made safe for a one-line message:
// control bytes escaped, long names cut.
inline std::string printable_name(std::string_view name) {
    constexpr size_t kMaxShown = 80;
    std::string out = "'";
    for (size_t i = 0; i < name.size() && i < kMaxShown; ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        if (c < 0x20 || c == 0x7f || c == '\\')
            out += fmt::format("\\x{:02x}", c);
        else
            out += static_cast<char>(c);
    }
    out += name.size() > kMaxShown ? "'..." : "'";
    return out;
}

class Cursor {
  public:
    Cursor(const uint8_t* data, uint64_t size, const std::string& name)
        : data_(data), size_(size), name_(name) {}

    uint64_t pos() const { return pos_; }
    uint64_t size() const { return size_; }
    uint64_t remaining() const { return size_ - pos_; }
    const std::string& name() const { return name_; }

    // Throws unless `n` more bytes are available; `what` names the field.
    void require(uint64_t n, std::string_view what) const {
        if (n > remaining())
            fail_input("{}: truncated file: {} at offset {} needs {} bytes, {} left", name_, what,
                       pos_, n, remaining());
    }

    template <typename T>
    T read(std::string_view what) {
        require(sizeof(T), what);
        T v;
        std::memcpy(&v, data_ + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }

    // Copies `n` bytes (already known to fit in memory) into `dst`.
    void read_bytes(void* dst, uint64_t n, std::string_view what) {
        require(n, what);
        if (n > 0) std::memcpy(dst, data_ + pos_, static_cast<size_t>(n));
        pos_ += n;
    }

    // A GGUF string: u64 length, then the bytes (no terminator). The length
    // is checked against the remaining bytes before anything is allocated.
    std::string read_string(std::string_view what) {
        const uint64_t n = read<uint64_t>(what);
        if (n > remaining())
            fail_input("{}: {} at offset {} claims {} bytes but only {} remain", name_, what,
                       pos_ - 8, n, remaining());
        std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(n));
        pos_ += n;
        return s;
    }

  private:
    const uint8_t* data_;
    uint64_t size_;
    uint64_t pos_ = 0;
    const std::string& name_;
};

}  // namespace ql::gguf
