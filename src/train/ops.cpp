#include "train/ops.hpp"

#include <algorithm>
#include <cmath>

#include "model/ops.hpp"
#include "train/blas.hpp"
#include "util/threads.hpp"

namespace ql::train {

namespace {

float inv_rms(const float* x, int64_t n, float eps) {
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
    return static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
}

float sigmoid(float x) {
    return 1.0f / (1.0f + std::exp(-x));
}

}  // namespace

void rms_norm_forward(const float* x, const float* w, float* y, int64_t rows, int64_t n, float eps,
                      int n_threads) {
    parallel_for(rows, n_threads, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) model::rms_norm(x + r * n, w, y + r * n, n, eps);
    });
}

void rms_norm_backward(const float* x, const float* w, const float* dy, float* dx, float* dw,
                       int64_t rows, int64_t n, float eps, bool accumulate, int n_threads) {
    // dx = r * (dy*w - xhat * mean(dy*w * xhat)), xhat = x * r; dw = Σ dy * xhat
    parallel_for(rows, n_threads, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const float* xr = x + r * n;
            const float* g = dy + r * n;
            float* out = dx + r * n;
            const float inv = inv_rms(xr, n, eps);
            double dot = 0;
            for (int64_t i = 0; i < n; ++i) dot += static_cast<double>(g[i]) * w[i] * xr[i] * inv;
            const float mean = static_cast<float>(dot / static_cast<double>(n));
            for (int64_t i = 0; i < n; ++i) {
                const float v = inv * (g[i] * w[i] - xr[i] * inv * mean);
                out[i] = accumulate ? out[i] + v : v;
            }
        }
    });
    // dw over columns: each thread owns a range of columns, rows in order.
    parallel_for(n, n_threads, [&](int64_t c0, int64_t c1) {
        std::vector<double> acc(static_cast<size_t>(c1 - c0), 0.0);
        for (int64_t r = 0; r < rows; ++r) {
            const float* xr = x + r * n;
            const float inv = inv_rms(xr, n, eps);
            for (int64_t c = c0; c < c1; ++c)
                acc[static_cast<size_t>(c - c0)] +=
                    static_cast<double>(dy[r * n + c]) * xr[c] * inv;
        }
        for (int64_t c = c0; c < c1; ++c)
            dw[c] += static_cast<float>(acc[static_cast<size_t>(c - c0)]);
    });
}

std::vector<float> rope_table(const model::HParams& hp, int64_t n_pos) {
    const int64_t per = hp.n_rot;  // n_rot/2 pairs of (cos, sin)
    std::vector<float> t(static_cast<size_t>(n_pos * per));
    for (int64_t p = 0; p < n_pos; ++p) model::rope_cos_sin(p, hp, nullptr, t.data() + p * per);
    return t;
}

void rope_rows(float* x, int64_t rows, int64_t n_heads, int64_t seq_len, const float* table,
               const model::HParams& hp, bool inverse, int n_threads) {
    const int64_t hd = hp.head_dim, per = hp.n_rot;
    parallel_for(rows, n_threads, [&](int64_t r0, int64_t r1) {
        std::vector<float> inv(static_cast<size_t>(per));  // the angles negated
        for (int64_t r = r0; r < r1; ++r) {
            const float* cs = table + (r % seq_len) * per;
            if (inverse) {
                for (int64_t i = 0; i < per; i += 2) {
                    inv[static_cast<size_t>(i)] = cs[i];
                    inv[static_cast<size_t>(i + 1)] = -cs[i + 1];
                }
                cs = inv.data();
            }
            for (int64_t h = 0; h < n_heads; ++h)
                model::apply_rope_table(x + r * n_heads * hd + h * hd, cs, hp);
        }
    });
}

void swiglu_forward(const float* g, const float* u, float* h, int64_t count, int n_threads) {
    parallel_for(count, n_threads, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) h[i] = g[i] * sigmoid(g[i]) * u[i];
    });
}

void swiglu_backward(const float* g, const float* u, const float* dh, float* dg, float* du,
                     int64_t count, int n_threads) {
    parallel_for(count, n_threads, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) {
            const float s = sigmoid(g[i]);
            du[i] = dh[i] * g[i] * s;
            dg[i] = dh[i] * u[i] * s * (1.0f + g[i] * (1.0f - s));
        }
    });
}

// Attention runs as matrix products per (sequence, head) on OpenBLAS: the
// full [T, T] score matrix is computed and its upper triangle masked (twice
// the useful work, still far faster than row-by-row dot products), and the
// row-wise softmax steps run over all rows of all heads at once.
namespace {

// Row strides and offsets of one (sequence, head) in q/out, k/v and probs.
struct HeadView {
    int64_t T, hd, qw, kw, q_off, kv_off, p_off;
};

HeadView head_view(const AttentionShape& s, int64_t w) {
    const int64_t seq = w / s.n_head, h = w % s.n_head, g = h / (s.n_head / s.n_head_kv);
    const int64_t T = s.seq_len, hd = s.head_dim;
    return {T,
            hd,
            s.n_head * hd,
            s.n_head_kv * hd,
            seq * T * s.n_head * hd + h * hd,
            seq * T * s.n_head_kv * hd + g * hd,
            w * T * T};
}

// Row r of every [T, T] matrix: causal softmax of the scores in place.
void causal_softmax_rows(float* probs, int64_t n_rows, int64_t T, int n_threads) {
    parallel_for(n_rows, n_threads, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            float* p = probs + r * T;
            const int64_t i = r % T;
            const float mx = *std::max_element(p, p + i + 1);
            double sum = 0;
            for (int64_t j = 0; j <= i; ++j) sum += (p[j] = std::exp(p[j] - mx));
            const auto inv = static_cast<float>(1.0 / sum);
            for (int64_t j = 0; j <= i; ++j) p[j] *= inv;
            std::fill(p + i + 1, p + T, 0.0f);
        }
    });
}

}  // namespace

void attention_forward(const AttentionShape& s, const float* q, const float* k, const float* v,
                       float* probs, float* out, int n_threads) {
    const float scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
    const int64_t heads = s.n_seq * s.n_head;
    for (int64_t w = 0; w < heads; ++w) {  // scores = scale Q K^T
        const HeadView h = head_view(s, w);
        gemm(false, true, h.T, h.T, h.hd, scale, q + h.q_off, h.qw, k + h.kv_off, h.kw, 0.0f,
             probs + h.p_off, h.T);
    }
    causal_softmax_rows(probs, heads * s.seq_len, s.seq_len, n_threads);
    for (int64_t w = 0; w < heads; ++w) {  // out = P V
        const HeadView h = head_view(s, w);
        gemm(false, false, h.T, h.hd, h.T, 1.0f, probs + h.p_off, h.T, v + h.kv_off, h.kw, 0.0f,
             out + h.q_off, h.qw);
    }
}

void attention_backward(const AttentionShape& s, const float* q, const float* k, const float* v,
                        const float* probs, const float* dout, float* dq, float* dk, float* dv,
                        int n_threads) {
    const float scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
    const int64_t heads = s.n_seq * s.n_head, T = s.seq_len;
    std::vector<float> ds(static_cast<size_t>(heads * T * T));  // [heads, T, T]
    for (int64_t w = 0; w < heads; ++w) {                       // dP = dO V^T
        const HeadView h = head_view(s, w);
        gemm(false, true, T, T, h.hd, 1.0f, dout + h.q_off, h.qw, v + h.kv_off, h.kw, 0.0f,
             ds.data() + w * T * T, T);
    }
    // dS = P (dP - Σ_j P dP), row by row
    parallel_for(heads * T, n_threads, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            const float* p = probs + r * T;
            float* d = ds.data() + r * T;
            const int64_t i = r % T;
            double dot = 0;
            for (int64_t j = 0; j <= i; ++j) dot += static_cast<double>(p[j]) * d[j];
            for (int64_t j = 0; j <= i; ++j) d[j] = p[j] * (d[j] - static_cast<float>(dot));
            std::fill(d + i + 1, d + T, 0.0f);
        }
    });
    const int64_t group = s.n_head / s.n_head_kv;
    for (int64_t w = 0; w < heads; ++w) {
        const HeadView h = head_view(s, w);
        const float* dsw = ds.data() + w * T * T;
        const float beta = (w % s.n_head) % group == 0 ? 0.0f : 1.0f;  // first head of its group
        gemm(false, false, T, h.hd, T, scale, dsw, T, k + h.kv_off, h.kw, 0.0f, dq + h.q_off, h.qw);
        gemm(true, false, T, h.hd, T, scale, dsw, T, q + h.q_off, h.qw, beta, dk + h.kv_off, h.kw);
        gemm(true, false, T, h.hd, T, 1.0f, probs + h.p_off, T, dout + h.q_off, h.qw, beta,
             dv + h.kv_off, h.kw);
    }
}

double cross_entropy(float* logits, const int32_t* targets, int64_t rows, int64_t n_vocab,
                     bool grad, int n_threads) {
    std::vector<double> loss(static_cast<size_t>(rows));
    parallel_for(rows, n_threads, [&](int64_t r0, int64_t r1) {
        std::vector<float> e(static_cast<size_t>(n_vocab));  // exp(z - max)
        for (int64_t r = r0; r < r1; ++r) {
            float* z = logits + r * n_vocab;
            const float mx = *std::max_element(z, z + n_vocab);
            double sum = 0;
            for (int64_t i = 0; i < n_vocab; ++i)
                sum += (e[static_cast<size_t>(i)] = std::exp(z[i] - mx));
            const int32_t t = targets[r];
            loss[static_cast<size_t>(r)] = std::log(sum) - (z[t] - mx);
            if (!grad) continue;
            // softmax / rows, minus 1 / rows at the target
            const auto scale = static_cast<float>(1.0 / (sum * static_cast<double>(rows)));
            for (int64_t i = 0; i < n_vocab; ++i) z[i] = e[static_cast<size_t>(i)] * scale;
            z[t] -= 1.0f / static_cast<float>(rows);
        }
    });
    double total = 0;
    for (double l : loss) total += l;
    return total / static_cast<double>(rows);
}

}  // namespace ql::train
