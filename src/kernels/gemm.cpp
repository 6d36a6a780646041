// The integer GEMM (gemm.hpp): activation side tables, panel decoding and
// the split of panels across threads; the arithmetic is gemm_avx512.cpp.
#include "kernels/gemm.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/levels.hpp"
#include "quant/half.hpp"
#include "util/cpu.hpp"
#include "util/error.hpp"
#include "util/threads.hpp"

namespace ql::kernels {

using gemm_detail::GemmActs;
using gemm_detail::Panel;

namespace {

// A growable buffer whose data is 64-byte aligned (aligned 512-bit loads).
template <typename T>
class AlignedBuffer {
  public:
    T* get(size_t n) {
        const size_t bytes = n * sizeof(T) + 64;
        if (storage_.size() < bytes) storage_.resize(bytes);
        auto addr = reinterpret_cast<uintptr_t>(storage_.data());
        return reinterpret_cast<T*>((addr + 63) & ~uintptr_t{63});
    }

  private:
    std::vector<uint8_t> storage_;
};

// The int8 values of one quantized activation row and its per-block scales:
// Q8_K [d: f32][qs: 256][bsums: 32], Q8_0 [d: f16][qs: 32].
struct ActFormat {
    int block = 0;
    size_t block_bytes = 0;
    size_t qs_offset = 0;
    bool f16_scale = false;
};

ActFormat act_format(TypeId weight) {
    const TypeId a = *activation_type(weight);
    if (a == TypeId::Q8_K) return {256, 292, 4, false};
    if (a == TypeId::Q8_0) return {32, 34, 2, true};
    fail("the GEMM has no {} activations", quant::type_traits(a).name);
}

// Side tables of every token (gemm.hpp, GemmActs), filled in parallel; the
// token count is padded to whole 8-token tiles.
struct ActTables {
    std::vector<int8_t> q;        // [n_tiles][n_in / 4][8][4]
    std::vector<int32_t> init;    // [n_tiles][n_groups][8]
    std::vector<float> d, d_sum;  // [n_tiles][n_groups][8]
};

// Token t's values and group entries into its slot of the tiled tables.
void fill_token(const ActFormat& f, const LevelDecoder& dec, const uint8_t* act, int64_t n_in,
                int64_t n_groups, int64_t t, ActTables& tab) {
    const int64_t tile = t / gemm_detail::kTileTokens, slot = t % gemm_detail::kTileTokens;
    constexpr int64_t kT = gemm_detail::kTileTokens;
    int8_t* q = tab.q.data() + tile * kT * n_in + slot * 4;  // [n_in / 4][8][4]
    const int64_t table0 = tile * kT * n_groups + slot;      // [n_groups][8]
    const int groups_per_block = f.block / dec.group;
    for (int64_t b = 0; b < n_in / f.block; ++b) {
        const uint8_t* blk = act + static_cast<size_t>(b) * f.block_bytes;
        float scale;
        if (f.f16_scale) {
            scale = quant::fp16_to_f32(quant::load_u16(blk));
        } else {
            std::memcpy(&scale, blk, 4);
        }
        const auto* v = reinterpret_cast<const int8_t*>(blk + f.qs_offset);
        for (int k = 0; k < f.block; k += 4)
            std::memcpy(q + (b * f.block + k) / 4 * kT * 4, v + k, 4);
        for (int j = 0; j < groups_per_block; ++j) {
            int32_t sum = 0;
            for (int k = 0; k < dec.group; ++k) sum += v[j * dec.group + k];
            const int64_t at = table0 + (b * groups_per_block + j) * kT;
            tab.init[static_cast<size_t>(at)] = -dec.bias * sum;
            tab.d[static_cast<size_t>(at)] = scale;
            tab.d_sum[static_cast<size_t>(at)] = scale * static_cast<float>(sum);
        }
    }
}

// Decodes rows [r0, r0 + n_rows) of w into the panel buffers (rows past
// n_rows are zero).
struct PanelBuffers {
    AlignedBuffer<uint8_t> levels;
    AlignedBuffer<float> scale, offset;
    std::vector<uint8_t> row_levels;           // [16][n_in]
    std::vector<float> row_scale, row_offset;  // [16][n_groups]
};

Panel decode_panel(const MatmulWeights& w, const LevelDecoder& dec, int64_t r0, int n_rows,
                   PanelBuffers& buf) {
    const int64_t n_groups = w.n_in / dec.group;
    const auto n_in = static_cast<size_t>(w.n_in), ng = static_cast<size_t>(n_groups);
    uint8_t* levels = buf.levels.get(n_in * kPanelRows);
    float* scale = buf.scale.get(ng * kPanelRows);
    float* offset = dec.has_offset ? buf.offset.get(ng * kPanelRows) : nullptr;
    buf.row_levels.resize(n_in * kPanelRows);
    buf.row_scale.resize(ng * kPanelRows);
    buf.row_offset.resize(ng * kPanelRows);
    for (int r = 0; r < kPanelRows; ++r) {
        uint8_t* lv = buf.row_levels.data() + r * n_in;
        float* sc = buf.row_scale.data() + r * ng;
        float* off = buf.row_offset.data() + r * ng;
        if (r < n_rows) {
            const auto* row = static_cast<const uint8_t*>(w.data) + (r0 + r) * w.row_stride;
            dec.decode(row, w.n_in, lv, sc, off);
        } else {
            std::fill(lv, lv + n_in, uint8_t{0});
            std::fill(sc, sc + ng, 0.0f);
            std::fill(off, off + ng, 0.0f);
        }
    }
    gemm_detail::interleave_rows_avx512(buf.row_levels.data(), w.n_in, levels);
    gemm_detail::interleave_groups_avx512(buf.row_scale.data(), n_groups, scale);
    if (offset) gemm_detail::interleave_groups_avx512(buf.row_offset.data(), n_groups, offset);
    return Panel{levels, scale, offset, w.n_in, dec.group};
}

}  // namespace

bool gemm_supported(TypeId type) {
    static const bool cpu = cpu_features().avx512_kernels();
    return cpu && level_decoder(type) != nullptr;
}

void gemm_quantized(const MatmulWeights& w, const uint8_t* acts, size_t act_bytes, int64_t n_tokens,
                    float* y, int n_threads) {
    const LevelDecoder* dec = level_decoder(w.type);
    if (!dec || !cpu_features().avx512_kernels())
        fail("no GEMM for {} weights here", quant::type_traits(w.type).name);
    const ActFormat f = act_format(w.type);
    const int64_t n_groups = w.n_in / dec->group;
    const int64_t n_tiles = (n_tokens + gemm_detail::kTileTokens - 1) / gemm_detail::kTileTokens;
    const auto nt = static_cast<size_t>(n_tiles * gemm_detail::kTileTokens);  // padded
    const auto ng = static_cast<size_t>(n_groups);
    ActTables tab{std::vector<int8_t>(nt * static_cast<size_t>(w.n_in)),
                  std::vector<int32_t>(nt * ng), std::vector<float>(nt * ng),
                  std::vector<float>(nt * ng)};
    parallel_for(n_tokens, n_threads, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t)
            fill_token(f, *dec, acts + static_cast<size_t>(t) * act_bytes, w.n_in, n_groups, t,
                       tab);
    });
    const GemmActs a{tab.q.data(),     tab.init.data(), tab.d.data(),
                     tab.d_sum.data(), w.n_in,          n_groups};
    const int64_t n_panels = (w.n_out + kPanelRows - 1) / kPanelRows;
    parallel_for_dynamic(n_panels, n_threads, 1, [&](int64_t begin, int64_t end) {
        thread_local PanelBuffers buf;
        for (int64_t p = begin; p < end; ++p) {
            const int64_t r0 = p * kPanelRows;
            const int n_rows = static_cast<int>(std::min<int64_t>(kPanelRows, w.n_out - r0));
            const Panel panel = decode_panel(w, *dec, r0, n_rows, buf);
            gemm_detail::panel_times_tokens_avx512(panel, a, n_tokens, y + r0, w.n_out, n_rows);
        }
    });
}

}  // namespace ql::kernels
