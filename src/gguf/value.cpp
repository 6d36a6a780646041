// Metadata values: type names and sizes, constructors and coercing accessors.
#include <bit>
#include <cstring>
#include <limits>

#include "gguf/gguf.hpp"
#include "util/error.hpp"

namespace ql::gguf {

std::string_view value_type_name(ValueType t) {
    switch (t) {
        case ValueType::UINT8:
            return "u8";
        case ValueType::INT8:
            return "i8";
        case ValueType::UINT16:
            return "u16";
        case ValueType::INT16:
            return "i16";
        case ValueType::UINT32:
            return "u32";
        case ValueType::INT32:
            return "i32";
        case ValueType::FLOAT32:
            return "f32";
        case ValueType::BOOL:
            return "bool";
        case ValueType::STRING:
            return "string";
        case ValueType::ARRAY:
            return "array";
        case ValueType::UINT64:
            return "u64";
        case ValueType::INT64:
            return "i64";
        case ValueType::FLOAT64:
            return "f64";
    }
    return "unknown";
}

size_t value_type_size(ValueType t) {
    switch (t) {
        case ValueType::UINT8:
        case ValueType::INT8:
        case ValueType::BOOL:
            return 1;
        case ValueType::UINT16:
        case ValueType::INT16:
            return 2;
        case ValueType::UINT32:
        case ValueType::INT32:
        case ValueType::FLOAT32:
            return 4;
        case ValueType::UINT64:
        case ValueType::INT64:
        case ValueType::FLOAT64:
            return 8;
        case ValueType::STRING:
        case ValueType::ARRAY:
            return 0;
    }
    return 0;
}

namespace {

bool is_signed_integer(ValueType t) {
    return t == ValueType::INT8 || t == ValueType::INT16 || t == ValueType::INT32 ||
           t == ValueType::INT64;
}

bool is_unsigned_integer(ValueType t) {
    return t == ValueType::UINT8 || t == ValueType::UINT16 || t == ValueType::UINT32 ||
           t == ValueType::UINT64;
}

// Sign-extends the low `bytes` bytes of `bits`.
int64_t sign_extend(uint64_t bits, size_t bytes) {
    if (bytes >= 8) return static_cast<int64_t>(bits);
    const unsigned shift = static_cast<unsigned>(64 - 8 * bytes);
    return static_cast<int64_t>(bits << shift) >> shift;
}

// The numeric value of a scalar of type `t` held in `bits`, as double.
double bits_to_double(ValueType t, uint64_t bits) {
    if (t == ValueType::FLOAT32) return std::bit_cast<float>(static_cast<uint32_t>(bits));
    if (t == ValueType::FLOAT64) return std::bit_cast<double>(bits);
    if (is_signed_integer(t)) return static_cast<double>(sign_extend(bits, value_type_size(t)));
    return static_cast<double>(bits);
}

// Reads element i of a packed little-endian array as raw bits.
uint64_t element_bits(const std::vector<uint8_t>& raw, size_t elem_size, size_t i) {
    uint64_t bits = 0;
    std::memcpy(&bits, raw.data() + i * elem_size, elem_size);
    return bits;
}

Value scalar(ValueType t, uint64_t bits) {
    Value v;
    v.type = t;
    v.scalar_bits = bits;
    return v;
}

template <typename T>
Value packed_array(ValueType elem, const std::vector<T>& values) {
    Value v;
    v.type = ValueType::ARRAY;
    v.elem_type = elem;
    v.array_raw.resize(values.size() * sizeof(T));
    if (!values.empty()) std::memcpy(v.array_raw.data(), values.data(), v.array_raw.size());
    return v;
}

}  // namespace

Value Value::u16(uint16_t v) {
    return scalar(ValueType::UINT16, v);
}
Value Value::u32(uint32_t v) {
    return scalar(ValueType::UINT32, v);
}
Value Value::i32(int32_t v) {
    return scalar(ValueType::INT32, static_cast<uint32_t>(v));
}
Value Value::u64(uint64_t v) {
    return scalar(ValueType::UINT64, v);
}
Value Value::f32(float v) {
    return scalar(ValueType::FLOAT32, std::bit_cast<uint32_t>(v));
}
Value Value::boolean(bool v) {
    return scalar(ValueType::BOOL, v ? 1 : 0);
}
Value Value::string(std::string v) {
    Value out;
    out.type = ValueType::STRING;
    out.str = std::move(v);
    return out;
}
Value Value::string_array(std::vector<std::string> v) {
    Value out;
    out.type = ValueType::ARRAY;
    out.elem_type = ValueType::STRING;
    out.array_strings = std::move(v);
    return out;
}
Value Value::f32_array(const std::vector<float>& v) {
    return packed_array(ValueType::FLOAT32, v);
}
Value Value::i32_array(const std::vector<int32_t>& v) {
    return packed_array(ValueType::INT32, v);
}
Value Value::u32_array(const std::vector<uint32_t>& v) {
    return packed_array(ValueType::UINT32, v);
}

bool Value::is_integer() const {
    return is_signed_integer(type) || is_unsigned_integer(type);
}

bool Value::is_float() const {
    return type == ValueType::FLOAT32 || type == ValueType::FLOAT64;
}

size_t Value::array_size() const {
    if (type != ValueType::ARRAY) return 0;
    if (elem_type == ValueType::STRING) return array_strings.size();
    const size_t elem = value_type_size(elem_type);
    return elem == 0 ? 0 : array_raw.size() / elem;
}

std::optional<int64_t> Value::as_int() const {
    if (is_signed_integer(type)) return sign_extend(scalar_bits, value_type_size(type));
    if (is_unsigned_integer(type)) {
        if (scalar_bits > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            return std::nullopt;
        return static_cast<int64_t>(scalar_bits);
    }
    return std::nullopt;
}

std::optional<uint64_t> Value::as_uint() const {
    if (is_unsigned_integer(type)) return scalar_bits;
    if (is_signed_integer(type)) {
        const int64_t v = sign_extend(scalar_bits, value_type_size(type));
        if (v < 0) return std::nullopt;
        return static_cast<uint64_t>(v);
    }
    return std::nullopt;
}

std::optional<double> Value::as_float() const {
    if (is_float() || is_integer()) return bits_to_double(type, scalar_bits);
    return std::nullopt;
}

std::optional<bool> Value::as_bool() const {
    if (type != ValueType::BOOL) return std::nullopt;
    return (scalar_bits & 0xff) != 0;
}

namespace {

// Checks that element i of `v` exists and is numeric; returns its raw bits.
uint64_t numeric_element(const Value& v, size_t i) {
    if (v.type != ValueType::ARRAY || v.elem_type == ValueType::STRING ||
        v.elem_type == ValueType::ARRAY)
        fail("metadata value is not a numeric array");
    if (i >= v.array_size()) fail("array index {} out of range (size {})", i, v.array_size());
    return element_bits(v.array_raw, value_type_size(v.elem_type), i);
}

}  // namespace

double Value::array_float(size_t i) const {
    return bits_to_double(elem_type, numeric_element(*this, i));
}

int64_t Value::array_int(size_t i) const {
    const uint64_t bits = numeric_element(*this, i);
    if (elem_type == ValueType::FLOAT32 || elem_type == ValueType::FLOAT64) {
        const double d = bits_to_double(elem_type, bits);
        // 2^63 is exactly representable; anything at or past it (or NaN) does not fit.
        if (!(d > -9.2233720368547758e18 && d < 9.2233720368547758e18))
            fail("array element {} ({}) does not fit an integer", i, d);
        return static_cast<int64_t>(d);
    }
    if (is_signed_integer(elem_type)) return sign_extend(bits, value_type_size(elem_type));
    return static_cast<int64_t>(bits);
}

}  // namespace ql::gguf
