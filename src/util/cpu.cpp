#include "util/cpu.hpp"

#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace ql {

namespace {

uint64_t read_xcr0() {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
}

// Linux refuses AMX tile data unless the process asks for it; on some VMs the
// request succeeds but tile instructions still fault, so we only record it.
bool request_amx_permission() {
    constexpr long kArchReqXcompPerm = 0x1023;
    constexpr long kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
}

CpuFeatures detect() {
    CpuFeatures f;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    const bool osxsave = c & (1u << 27);
    f.fma = c & (1u << 12);
    f.f16c = c & (1u << 29);
    if (!osxsave) return f;
    const uint64_t xcr0 = read_xcr0();
    const bool ymm_os = (xcr0 & 0x6) == 0x6;
    const bool zmm_os = (xcr0 & 0xe6) == 0xe6;
    if (!ymm_os) {
        f.fma = f.f16c = false;
        return f;
    }
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = b & (1u << 5);
    if (zmm_os) {
        f.avx512f = b & (1u << 16);
        f.avx512dq = b & (1u << 17);
        f.avx512bw = b & (1u << 30);
        f.avx512vl = b & (1u << 31);
        f.avx512vbmi = c & (1u << 1);
        f.avx512vnni = c & (1u << 11);
    }
    f.amx_tile = d & (1u << 24);
    __cpuid_count(7, 1, a, b, c, d);
    f.avx_vnni = a & (1u << 4);
    if (zmm_os) f.avx512bf16 = a & (1u << 5);
    if (f.amx_tile) f.amx_usable = request_amx_permission();
    return f;
}

void apply_cap(CpuFeatures& f) {
    const char* env = std::getenv("QL_CPU");
    if (!env) return;
    std::string_view cap(env);
    if (cap == "scalar" || cap == "avx2") {
        f.avx512f = f.avx512bw = f.avx512vl = f.avx512dq = false;
        f.avx512vnni = f.avx512bf16 = f.avx512vbmi = false;
        f.amx_tile = f.amx_usable = false;
    }
    if (cap == "scalar") f.avx2 = f.fma = f.f16c = f.avx_vnni = false;
}

}  // namespace

std::string CpuFeatures::describe() const {
    std::string s;
    auto add = [&s](bool on, const char* name) {
        if (!on) return;
        if (!s.empty()) s += ' ';
        s += name;
    };
    add(avx2, "avx2");
    add(fma, "fma");
    add(f16c, "f16c");
    add(avx512f, "avx512f");
    add(avx512bw, "avx512bw");
    add(avx512vl, "avx512vl");
    add(avx512dq, "avx512dq");
    add(avx512vnni, "avx512vnni");
    add(avx512bf16, "avx512bf16");
    add(avx512vbmi, "avx512vbmi");
    add(avx_vnni, "avx_vnni");
    add(amx_tile, amx_usable ? "amx(permitted, unused)" : "amx(refused)");
    return s.empty() ? "scalar" : s;
}

const CpuFeatures& cpu_features() {
    static const CpuFeatures features = [] {
        CpuFeatures f = detect();
        apply_cap(f);
        return f;
    }();
    return features;
}

}  // namespace ql
