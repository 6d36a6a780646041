// SHA-256 (FIPS 180-4), for the checksums of the corpus manifest: an
// incremental hasher and a one-call helper returning lower-case hex.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ql {

class Sha256 {
  public:
    Sha256();
    void update(const void* data, size_t n_bytes);
    void update(std::string_view s) { update(s.data(), s.size()); }
    // The digest; the hasher must not be updated afterwards.
    std::array<uint8_t, 32> finish();
    std::string finish_hex();

  private:
    void compress(const uint8_t* block);

    std::array<uint32_t, 8> state_;
    std::array<uint8_t, 64> buffer_{};
    size_t buffered_ = 0;
    uint64_t total_bytes_ = 0;
};

std::string sha256_hex(std::string_view data);

}  // namespace ql
