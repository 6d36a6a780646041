// Metadata values: constructors, exact bits, and the coercing accessors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gguf/gguf.hpp"
#include "util/error.hpp"

namespace ql::gguf {
namespace {

Value raw_scalar(ValueType t, uint64_t bits) {
    Value v;
    v.type = t;
    v.scalar_bits = bits;
    return v;
}

TEST(GgufValue, TypeNamesAndSizes) {
    EXPECT_EQ(value_type_name(ValueType::UINT8), "u8");
    EXPECT_EQ(value_type_name(ValueType::FLOAT64), "f64");
    EXPECT_EQ(value_type_name(ValueType::STRING), "string");
    EXPECT_EQ(value_type_name(static_cast<ValueType>(77)), "unknown");
    EXPECT_EQ(value_type_size(ValueType::BOOL), 1u);
    EXPECT_EQ(value_type_size(ValueType::INT16), 2u);
    EXPECT_EQ(value_type_size(ValueType::FLOAT32), 4u);
    EXPECT_EQ(value_type_size(ValueType::UINT64), 8u);
    EXPECT_EQ(value_type_size(ValueType::STRING), 0u);
    EXPECT_EQ(value_type_size(ValueType::ARRAY), 0u);
}

TEST(GgufValue, IntegerCoercions) {
    EXPECT_EQ(Value::u32(4000000000u).as_int(), 4000000000);
    EXPECT_EQ(Value::i32(-5).as_int(), -5);
    EXPECT_EQ(Value::i32(-5).as_uint(), std::nullopt);  // negative as unsigned
    EXPECT_EQ(Value::i32(7).as_uint(), 7u);
    EXPECT_EQ(Value::u16(65535).as_int(), 65535);
    EXPECT_EQ(raw_scalar(ValueType::INT8, 0xff).as_int(), -1);
    EXPECT_EQ(raw_scalar(ValueType::INT16, 0x8000).as_int(), -32768);
    EXPECT_EQ(raw_scalar(ValueType::INT64, ~uint64_t(0)).as_int(), -1);
    EXPECT_EQ(Value::u64(~uint64_t(0)).as_uint(), ~uint64_t(0));
    EXPECT_EQ(Value::u64(~uint64_t(0)).as_int(), std::nullopt);  // does not fit int64
    EXPECT_EQ(Value::f32(1.0f).as_int(), std::nullopt);
    EXPECT_EQ(Value::string("3").as_int(), std::nullopt);
    EXPECT_EQ(Value::boolean(true).as_int(), std::nullopt);
    EXPECT_TRUE(Value::u32(1).is_integer());
    EXPECT_FALSE(Value::f32(1).is_integer());
    EXPECT_TRUE(Value::f32(1).is_float());
    EXPECT_FALSE(Value::string("x").is_float());
}

TEST(GgufValue, FloatAndBoolCoercions) {
    EXPECT_EQ(Value::f32(0.1f).as_float(), static_cast<double>(0.1f));
    EXPECT_EQ(raw_scalar(ValueType::FLOAT64, std::bit_cast<uint64_t>(0.1)).as_float(), 0.1);
    EXPECT_EQ(Value::i32(-3).as_float(), -3.0);  // integers convert
    EXPECT_EQ(Value::string("1.5").as_float(), std::nullopt);
    EXPECT_EQ(Value::boolean(true).as_bool(), true);
    EXPECT_EQ(Value::boolean(false).as_bool(), false);
    EXPECT_EQ(raw_scalar(ValueType::BOOL, 2).as_bool(), true);  // any non-zero byte
    EXPECT_EQ(Value::u32(1).as_bool(), std::nullopt);
    // The exact bits survive, including a NaN payload.
    const uint32_t nan_bits = 0x7fc01234;
    const Value nan = raw_scalar(ValueType::FLOAT32, nan_bits);
    EXPECT_TRUE(std::isnan(*nan.as_float()));
    EXPECT_EQ(nan.scalar_bits, nan_bits);
}

TEST(GgufValue, Arrays) {
    const Value f = Value::f32_array({1.5f, -2.0f, 3.0f});
    EXPECT_EQ(f.type, ValueType::ARRAY);
    EXPECT_EQ(f.elem_type, ValueType::FLOAT32);
    EXPECT_EQ(f.array_size(), 3u);
    EXPECT_EQ(f.array_float(1), -2.0);
    EXPECT_EQ(f.array_int(0), 1);  // truncates toward zero
    EXPECT_THROW(f.array_float(3), Error);
    const Value i = Value::i32_array({-7, 8});
    EXPECT_EQ(i.array_int(0), -7);
    EXPECT_EQ(i.array_float(1), 8.0);
    const Value u = Value::u32_array({4000000000u});
    EXPECT_EQ(u.array_int(0), 4000000000);
    const Value s = Value::string_array({"a", "", "ccc"});
    EXPECT_EQ(s.array_size(), 3u);
    EXPECT_EQ(s.array_strings[2], "ccc");
    EXPECT_THROW(s.array_float(0), Error);  // not numeric
    EXPECT_EQ(Value::u32(3).array_size(), 0u);
    EXPECT_THROW(Value::u32(3).array_int(0), Error);
    const Value huge = Value::f32_array({1e30f, std::numeric_limits<float>::quiet_NaN()});
    EXPECT_THROW(huge.array_int(0), Error);
    EXPECT_THROW(huge.array_int(1), Error);
    const Value empty = Value::f32_array({});
    EXPECT_EQ(empty.array_size(), 0u);
}

TEST(GgufValue, EqualityComparesTypeAndBits) {
    EXPECT_EQ(Value::u32(5), Value::u32(5));
    EXPECT_NE(Value::u32(5), Value::i32(5));
    EXPECT_NE(Value::f32(0.0f), Value::f32(-0.0f));
    EXPECT_EQ(Value::string_array({"a"}), Value::string_array({"a"}));
    EXPECT_NE(Value::string_array({"a"}), Value::string_array({"b"}));
}

}  // namespace
}  // namespace ql::gguf
