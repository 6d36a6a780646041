// The level decoders of each format family register here (levels.cpp builds
// the table once). Internal to src/kernels.
#pragma once

#include <array>

#include "kernels/levels.hpp"

namespace ql::kernels::levels {

using DecoderTable = std::array<LevelDecoder, 64>;  // by GGUF type id; empty: no decoder

inline void set(DecoderTable& t, quant::TypeId id, const LevelDecoder& d) {
    t[static_cast<size_t>(id)] = d;
}

void register_kquants(DecoderTable& t);  // Q2_K, Q3_K, Q5_K, Q6_K: levels_kquants.cpp
void register_legacy(DecoderTable& t);   // Q4_0, IQ4_NL, MXFP4: levels_legacy.cpp
void register_lowbit(
    DecoderTable& t);  // TQ1_0, TQ2_0, IQ1_*, IQ2_*, IQ3_XXS, IQ4_XS: levels_lowbit.cpp

}  // namespace ql::kernels::levels
