// Hostile files: every malformed header, count, size or offset must give one
// ql::InputError naming the file and the problem -- never a crash, an abort
// or a huge allocation.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

#include "gguf/gguf.hpp"
#include "gguf_builder.hpp"
#include "gguf_test_util.hpp"

// The largest single allocation since the last reset, to check that hostile
// counts and lengths never make the reader allocate what the file cannot back.
static std::atomic<size_t> g_largest_allocation{0};

void* operator new(size_t n) {
    size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
    while (n > seen && !g_largest_allocation.compare_exchange_weak(seen, n)) {
    }
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
// GCC sees malloc/free behind the replaced new/delete pair and warns wrongly.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, size_t) noexcept {
    std::free(p);
}

namespace ql::gguf {
namespace {

using test::expect_input_error;
using test::GgufBytes;

const std::string kName = "hostile.gguf";
constexpr uint32_t kF32 = 0, kQ4_K = 12;

// Expects `b` to be rejected with a message containing `fragment`, having
// allocated nothing much bigger than the file itself.
void expect_rejected(const GgufBytes& b, const std::string& fragment) {
    g_largest_allocation = 0;
    expect_input_error([&] { GgufFile::parse(b.bytes.data(), b.bytes.size(), kName); }, kName,
                       fragment);
    EXPECT_LE(g_largest_allocation.load(), 4096 + 8 * b.bytes.size()) << fragment;
}

// A file with one metadata pair and one F32 tensor of `n` values at `offset`.
GgufBytes one_tensor(std::vector<int64_t> ne, uint32_t type = kF32, uint64_t offset = 0) {
    GgufBytes b;
    b.header(1, 1).kv_string("general.architecture", "llama").tensor("t", ne, type, offset);
    return b.pad().zeros(256);
}

TEST(GgufHostile, BadMagicVersionsAndEndianness) {
    expect_rejected(GgufBytes{}, "empty file");
    expect_rejected(GgufBytes{}.raw("GG"), "too small");
    expect_rejected(GgufBytes{}.raw("GGML").put<uint32_t>(3).zeros(16), "bad magic 'GGML'");
    expect_rejected(GgufBytes{}.header(0, 0, 1), "version 1 is not supported");
    expect_rejected(GgufBytes{}.header(0, 0, 4), "unsupported GGUF version 4");
    expect_rejected(GgufBytes{}.header(0, 0, 0), "unsupported GGUF version 0");
    // Version 3 written by a big-endian machine reads as 0x03000000 here.
    expect_rejected(GgufBytes{}.header(0, 0, 0x03000000), "big-endian");
    expect_rejected(GgufBytes{}.raw("GGUF").put<uint32_t>(3).put<uint32_t>(0), "truncated");
}

TEST(GgufHostile, HugeCountsFailBeforeAllocating) {
    expect_rejected(GgufBytes{}.header(uint64_t(1) << 63, 0), "claims 9223372036854775808 tensors");
    expect_rejected(GgufBytes{}.header(0, uint64_t(1) << 63),
                    "claims 9223372036854775808 metadata");
    expect_rejected(GgufBytes{}.header(~uint64_t(0), ~uint64_t(0)), "claims");
    // Counts just past what the bytes could hold.
    expect_rejected(GgufBytes{}.header(0, 3).kv_u32("a", 1).kv_u32("b", 2), "claims 3 metadata");
}

TEST(GgufHostile, StringAndArrayLengthsPastTheEnd) {
    GgufBytes key_past_end;
    key_past_end.header(0, 1).put<uint64_t>(1000).raw("abcdefghijklmnop");
    expect_rejected(key_past_end, "claims 1000 bytes");
    GgufBytes huge_string;
    huge_string.header(0, 1).str("k").put<uint32_t>(8).put<uint64_t>(uint64_t(1) << 60).zeros(8);
    expect_rejected(huge_string, "claims 1152921504606846976 bytes");
    GgufBytes huge_array;
    huge_array.header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(4).put<uint64_t>(uint64_t(1)
                                                                                     << 62);
    expect_rejected(huge_array.zeros(16), "array 'k' claims 4611686018427387904 elements");
    GgufBytes overflowing_strings;  // 2^61 strings x 8 bytes overflows 64 bits
    overflowing_strings.header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(
        uint64_t(1) << 61);
    expect_rejected(overflowing_strings.zeros(16), "array 'k' claims 2305843009213693952");
}

TEST(GgufHostile, BadValueTypes) {
    GgufBytes unknown;
    unknown.header(0, 1).str("k").put<uint32_t>(13).put<uint32_t>(0);
    expect_rejected(unknown, "key 'k' has unknown value type 13");
    GgufBytes nested;
    nested.header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(9).put<uint64_t>(1).zeros(16);
    expect_rejected(nested, "array 'k' holds arrays");
    GgufBytes unknown_elem;
    unknown_elem.header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(99).put<uint64_t>(0);
    expect_rejected(unknown_elem, "array 'k' has unknown element type 99");
    expect_rejected(GgufBytes{}.header(0, 1).str("").put<uint32_t>(4).put<uint32_t>(1),
                    "key 0 is empty");
}

TEST(GgufHostile, DuplicateKeysAndTensors) {
    expect_rejected(GgufBytes{}.header(0, 2).kv_u32("a.b", 1).kv_u32("a.b", 2),
                    "duplicate metadata key 'a.b'");
    GgufBytes dup;
    dup.header(2, 0).tensor("w", {8}, kF32, 0).tensor("w", {8}, kF32, 32).pad().zeros(64);
    expect_rejected(dup, "duplicate tensor name 'w'");
}

TEST(GgufHostile, BadAlignment) {
    for (uint32_t a : {0u, 3u, 48u}) {
        GgufBytes b;
        b.header(0, 1).kv_u32("general.alignment", a);
        expect_rejected(b, fmt::format("general.alignment {} is not a power of two", a));
    }
    expect_rejected(GgufBytes{}.header(0, 1).kv_string("general.alignment", "32"),
                    "general.alignment must be of type u32");
}

TEST(GgufHostile, BadShapes) {
    expect_rejected(one_tensor({1, 1, 1, 1, 1}), "tensor 't' has 5 dimensions");
    expect_rejected(one_tensor({}), "tensor 't' has 0 dimensions");
    expect_rejected(one_tensor({8, -1}), "tensor 't' has negative dimension 1 = -1");
    expect_rejected(one_tensor({int64_t(1) << 40, int64_t(1) << 40}),
                    "tensor 't' element count overflows int64");
    expect_rejected(one_tensor({INT64_MAX, 2}), "overflows int64");
    expect_rejected(one_tensor({0, int64_t(1) << 40, int64_t(1) << 40}), "overflows int64");
    expect_rejected(one_tensor({100}, kQ4_K),
                    "100 values per row, not a multiple of the block size 256");
    GgufBytes long_name;
    long_name.header(1, 0).tensor(std::string(64, 'n'), {8}, kF32, 0).pad().zeros(32);
    expect_rejected(long_name, "longer than 63 bytes");
}

TEST(GgufHostile, NamesInMessagesStayOnOneLine) {
    GgufBytes b;
    b.header(0, 2).kv_u32("evil\nkey\x1b[31m", 1).kv_u32("evil\nkey\x1b[31m", 2);
    expect_rejected(b, "duplicate metadata key 'evil\\x0akey\\x1b[31m'");
    GgufBytes long_key;
    long_key.header(0, 2).kv_u32(std::string(5000, 'k'), 1).kv_u32(std::string(5000, 'k'), 2);
    try {
        GgufFile::parse(long_key.bytes.data(), long_key.bytes.size(), kName);
        ADD_FAILURE() << "accepted a duplicate key";
    } catch (const InputError& e) {
        EXPECT_LT(std::string(e.what()).size(), 200u) << "long names are cut";
    }
}

TEST(GgufHostile, UnknownTypeIds) {
    for (uint32_t id : {4u, 5u, 31u, 99u, 0xffffffffu})
        expect_rejected(one_tensor({32}, id), fmt::format("tensor 't' has unknown type id {}", id));
}

TEST(GgufHostile, BadOffsets) {
    expect_rejected(one_tensor({8}, kF32, 4),
                    "data offset 4 is not a multiple of the alignment 32");
    expect_rejected(one_tensor({8}, kF32, uint64_t(1) << 40), "runs past the end of the file");
    expect_rejected(one_tensor({8}, kF32, ~uint64_t(31)), "runs past the end of the file");
    expect_rejected(one_tensor({65}, kF32, 0), "runs past the end of the file");  // 260 > 256
    GgufBytes overlap;
    overlap.header(2, 0).tensor("a", {16}, kF32, 0).tensor("b", {8}, kF32, 32).pad().zeros(96);
    expect_rejected(overlap, "tensors 'a' and 'b' overlap");
    GgufBytes same;
    same.header(2, 0).tensor("a", {8}, kF32, 64).tensor("b", {8}, kF32, 64).pad().zeros(128);
    expect_rejected(same, "overlap");
    GgufBytes no_data;  // header ends exactly where the data section should begin
    no_data.header(1, 0).tensor("a", {8}, kF32, 0);
    expect_rejected(no_data, "truncated file: data section");
}

TEST(GgufHostile, ZeroSizedTensorsAndGapsAreFine) {
    GgufBytes b;
    b.header(3, 0)
        .tensor("empty", {0, 5}, kF32, 0)
        .tensor("a", {8}, kF32, 64)
        .tensor("b", {8}, kF32, 0);
    b.pad().zeros(96);
    const GgufFile f = GgufFile::parse(b.bytes.data(), b.bytes.size(), kName);
    ASSERT_EQ(f.tensors().size(), 3u);
    EXPECT_EQ(f.tensors()[0].n_bytes, 0u);
    EXPECT_EQ(f.tensors()[0].n_rows(), 5);
    EXPECT_EQ(f.tensors()[1].data - f.tensors()[2].data, 64);
}

TEST(GgufHostile, ErrorsFromDiskNameThePath) {
    test::ScratchDir dir("hostile");
    const std::string path = dir.file("bad.gguf");
    test::spit(path, GgufBytes{}.header(0, 0, 1).bytes);
    expect_input_error([&] { GgufFile::open(path); }, path, "version 1");
    test::spit(path, {});
    expect_input_error([&] { GgufFile::open(path); }, path, "empty file");
    expect_input_error([&] { GgufFile::open(dir.file("missing.gguf")); }, dir.file("missing.gguf"),
                       "cannot open");
    expect_input_error([&] { GgufFile::open(dir.file("")); }, dir.file(""), "not a regular file");
}

// The sample model, as bytes, and where its last tensor's data ends.
std::pair<std::vector<uint8_t>, size_t> sample_image() {
    test::ScratchDir dir("image");
    test::write_sample_model(dir.file("m.gguf"));
    auto bytes = test::slurp(dir.file("m.gguf"));
    const GgufFile f = GgufFile::parse(bytes.data(), bytes.size(), "m");
    size_t end = 0;
    for (const auto& t : f.tensors())
        end = std::max(end, static_cast<size_t>(t.data - bytes.data()) + t.n_bytes);
    return {bytes, end};
}

TEST(GgufHostile, TruncationAtEveryByte) {
    const auto [bytes, data_end] = sample_image();
    ASSERT_LT(data_end, bytes.size());  // the writer pads after the last tensor
    for (size_t n = 0; n < bytes.size(); ++n) {
        // A fresh copy of exactly n bytes, so reads past it are caught by ASan.
        std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
        if (n < data_end) {
            EXPECT_THROW(GgufFile::parse(cut.data(), cut.size(), kName), InputError) << n;
        } else {  // only trailing padding is missing
            EXPECT_NO_THROW(GgufFile::parse(cut.data(), cut.size(), kName)) << n;
        }
    }
}

// Parses `b`; either it is rejected with InputError or every tensor's bytes
// lie inside the buffer. Returns whether it parsed.
bool parse_or_reject(const std::vector<uint8_t>& b) {
    try {
        const GgufFile f = GgufFile::parse(b.data(), b.size(), kName);
        for (const auto& t : f.tensors()) {
            EXPECT_GE(t.data, b.data());
            EXPECT_LE(t.data + t.n_bytes, b.data() + b.size());
        }
        for (const auto& [k, v] : f.metadata()) (void)v.as_float();
        return true;
    } catch (const InputError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(kName + ": ", 0), 0u) << e.what();
        return false;
    }
}

TEST(GgufHostile, RandomBytes) {
    std::mt19937 rng(12345);
    int parsed = 0;
    for (int i = 0; i < 3000; ++i) {
        std::vector<uint8_t> b(rng() % 512);
        for (auto& x : b) x = static_cast<uint8_t>(rng());
        // Half of them get a valid magic and version so the parser goes deeper.
        if (i % 2 == 0 && b.size() >= 8) std::memcpy(b.data(), "GGUF\x03\0\0\0", 8);
        parsed += parse_or_reject(b);
    }
    EXPECT_LT(parsed, 3000);
}

TEST(GgufHostile, MutatedValidFile) {
    const auto [bytes, data_end] = sample_image();
    std::mt19937 rng(777);
    int rejected = 0;
    for (int i = 0; i < 4000; ++i) {
        std::vector<uint8_t> b = bytes;
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < flips; ++k) {
            // Mostly in the header, where the structure is.
            const size_t at = rng() % (i % 4 == 0 ? b.size() : std::min<size_t>(b.size(), 700));
            b[at] = static_cast<uint8_t>(rng());
        }
        rejected += !parse_or_reject(b);
    }
    EXPECT_GT(rejected, 100);
}

}  // namespace
}  // namespace ql::gguf
