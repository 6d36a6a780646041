#include "train/ops.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/vec_f32.hpp"
#include "model/ops.hpp"
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

namespace {

// One (sequence, head) of the forward pass: probs [T, T], out rows.
void attend_one(const AttentionShape& s, int64_t seq, int64_t h, const float* q, const float* k,
                const float* v, float* probs, float* out) {
    const int64_t T = s.seq_len, hd = s.head_dim, qw = s.n_head * hd, kw = s.n_head_kv * hd;
    const int64_t g = h / (s.n_head / s.n_head_kv);
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    const int64_t base = seq * T;
    float* P = probs + (seq * s.n_head + h) * T * T;
    for (int64_t i = 0; i < T; ++i) {
        const float* qi = q + (base + i) * qw + h * hd;
        float* p = P + i * T;
        float mx = -INFINITY;
        for (int64_t j = 0; j <= i; ++j) {
            p[j] = scale * kernels::dot_f32(qi, k + (base + j) * kw + g * hd, hd);
            mx = std::max(mx, p[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j <= i; ++j) {
            p[j] = std::exp(p[j] - mx);
            sum += p[j];
        }
        const float inv = static_cast<float>(1.0 / sum);
        float* o = out + (base + i) * qw + h * hd;
        std::fill(o, o + hd, 0.0f);
        for (int64_t j = 0; j <= i; ++j) {
            p[j] *= inv;
            kernels::axpy_f32(o, p[j], v + (base + j) * kw + g * hd, hd);
        }
        std::fill(p + i + 1, p + T, 0.0f);
    }
}

}  // namespace

void attention_forward(const AttentionShape& s, const float* q, const float* k, const float* v,
                       float* probs, float* out, int n_threads) {
    parallel_for(s.n_seq * s.n_head, n_threads, [&](int64_t w0, int64_t w1) {
        for (int64_t w = w0; w < w1; ++w)
            attend_one(s, w / s.n_head, w % s.n_head, q, k, v, probs, out);
    });
}

void attention_backward(const AttentionShape& s, const float* q, const float* k, const float* v,
                        const float* probs, const float* dout, float* dq, float* dk, float* dv,
                        int n_threads) {
    const int64_t T = s.seq_len, hd = s.head_dim, qw = s.n_head * hd, kw = s.n_head_kv * hd;
    const int64_t group = s.n_head / s.n_head_kv;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    // One task per (sequence, KV head): it owns that slice of dk and dv, and
    // the dq of its query heads, so nothing is shared between threads.
    parallel_for(s.n_seq * s.n_head_kv, n_threads, [&](int64_t w0, int64_t w1) {
        std::vector<float> ds(static_cast<size_t>(T));  // one row of d(scores)
        for (int64_t w = w0; w < w1; ++w) {
            const int64_t seq = w / s.n_head_kv, g = w % s.n_head_kv, base = seq * T;
            for (int64_t i = 0; i < T; ++i) {
                std::fill_n(dk + (base + i) * kw + g * hd, hd, 0.0f);
                std::fill_n(dv + (base + i) * kw + g * hd, hd, 0.0f);
            }
            for (int64_t h = g * group; h < (g + 1) * group; ++h) {
                const float* P = probs + (seq * s.n_head + h) * T * T;
                for (int64_t i = 0; i < T; ++i) {
                    const float* p = P + i * T;
                    const float* doi = dout + (base + i) * qw + h * hd;
                    // dP_ij = dO_i . V_j; dV_j += P_ij dO_i
                    double rowdot = 0;
                    for (int64_t j = 0; j <= i; ++j) {
                        ds[static_cast<size_t>(j)] =
                            kernels::dot_f32(doi, v + (base + j) * kw + g * hd, hd);
                        rowdot += static_cast<double>(ds[static_cast<size_t>(j)]) * p[j];
                        kernels::axpy_f32(dv + (base + j) * kw + g * hd, p[j], doi, hd);
                    }
                    // dS_ij = P_ij (dP_ij - Σ_j P_ij dP_ij); dQ_i = scale Σ_j dS_ij K_j;
                    // dK_j += scale dS_ij Q_i
                    float* dqi = dq + (base + i) * qw + h * hd;
                    std::fill_n(dqi, hd, 0.0f);
                    const float* qi = q + (base + i) * qw + h * hd;
                    for (int64_t j = 0; j <= i; ++j) {
                        const float d = scale * p[j] *
                                        (ds[static_cast<size_t>(j)] - static_cast<float>(rowdot));
                        kernels::axpy_f32(dqi, d, k + (base + j) * kw + g * hd, hd);
                        kernels::axpy_f32(dk + (base + j) * kw + g * hd, d, qi, hd);
                    }
                }
            }
        }
    });
}

double cross_entropy(float* logits, const int32_t* targets, int64_t rows, int64_t n_vocab,
                     bool grad, int n_threads) {
    std::vector<double> loss(static_cast<size_t>(rows));
    parallel_for(rows, n_threads, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            float* z = logits + r * n_vocab;
            const float mx = *std::max_element(z, z + n_vocab);
            double sum = 0;
            for (int64_t i = 0; i < n_vocab; ++i) sum += std::exp(static_cast<double>(z[i] - mx));
            const int32_t t = targets[r];
            loss[static_cast<size_t>(r)] = std::log(sum) - (z[t] - mx);
            if (!grad) continue;
            const double inv = 1.0 / sum;
            const float scale = 1.0f / static_cast<float>(rows);
            for (int64_t i = 0; i < n_vocab; ++i)
                z[i] = static_cast<float>(std::exp(static_cast<double>(z[i] - mx)) * inv) * scale;
            z[t] -= scale;
        }
    });
    double total = 0;
    for (double l : loss) total += l;
    return total / static_cast<double>(rows);
}

}  // namespace ql::train
