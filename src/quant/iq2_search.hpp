// Quantization search shared by IQ2_XXS, IQ2_XS and IQ2_S.
//
// All three formats store a 256-value super-block as an fp16 scale d, a 4-bit
// code c per sub-block (32 values for IQ2_XXS, 16 for the others) and, per
// group of 8 values, a codebook entry (8 magnitudes from {8, 25, 43}) plus
// signs. A value is reconstructed as d * (0.5 + c) * 0.25 * magnitude * sign.
// IQ2_XXS and IQ2_XS store 7 sign bits per group: the number of negative
// values in a group must be even.
//
// The search minimises the weighted squared error sum w_i (x_i - y_i)^2 of a
// super-block: for every candidate step it finds, per group, the best entry
// and sign pattern (flipping the cheapest value when the parity is odd), then
// picks the sub-block codes and the super-block scale jointly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ql::quant::iq2 {

inline constexpr int kSuperBlock = 256;
inline constexpr int kGroup = 8;
inline constexpr int kGroupsPerSuperBlock = kSuperBlock / kGroup;  // 32
inline constexpr int kMaxCode = 15;

// A codebook with the lookup structure the search uses.
class Codebook {
  public:
    Codebook(const uint64_t* entries, int size, bool even_sign_parity);

    int size() const { return size_; }
    bool even_sign_parity() const { return even_sign_parity_; }
    // Level index (0..2 into kLevels) of value j of entry e, packed 2 bits each.
    uint16_t levels(int e) const { return levels_[static_cast<size_t>(e)]; }
    // Candidate entries for a point of the {0,1,2}^8 level lattice (base-3
    // code, value 0 least significant): the entries nearest to that point.
    const uint16_t* candidates(int lattice_code) const {
        return &neighbours_[static_cast<size_t>(lattice_code) * kCandidates];
    }
    // 16 nearest entries: 64 measured only ~0.1% lower error at twice the time.
    static constexpr int kCandidates = 16;
    static constexpr int kLatticePoints = 6561;  // 3^8

  private:
    int size_;
    bool even_sign_parity_;
    std::vector<uint16_t> levels_;      // [size]
    std::vector<uint16_t> neighbours_;  // [kLatticePoints, kCandidates]
};

// Lazily built (thread-safe) codebooks of the three formats.
const Codebook& codebook_iq2_xxs();
const Codebook& codebook_iq2_xs();
const Codebook& codebook_iq2_s();

// The quantized form of one super-block, before format-specific packing.
struct SuperBlockCode {
    uint16_t d_fp16 = 0;
    uint8_t code[kSuperBlock / 16] = {};        // [n_subblocks] 4-bit scale codes
    uint16_t entry[kGroupsPerSuperBlock] = {};  // [32] codebook index per group
    uint8_t signs[kGroupsPerSuperBlock] = {};   // [32] bit j set: value j negative
};

// Quantizes 256 values `x` with per-value importance `importance` (null: the
// default weighting). `subblock` is 16 or 32.
void quantize_superblock(const Codebook& book, int subblock, const float* x,
                         const float* importance, SuperBlockCode& out);

}  // namespace ql::quant::iq2
