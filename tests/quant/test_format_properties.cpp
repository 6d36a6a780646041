// Properties every quantized type of the registry must have, whatever its
// family: extreme importance weights (all zero, one huge, subnormal, every
// other column zero) give finite output no worse than zeros under the weights.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "format_checks.hpp"
#include "quant/types.hpp"

namespace {

using ql::quant::TypeId;

std::vector<TypeId> quantized_types() {
    std::vector<TypeId> ids;
    for (const auto& t : ql::quant::all_types())
        if (t.is_quantized && t.quantize) ids.push_back(t.id);
    return ids;
}

class EveryQuantizedType : public ::testing::TestWithParam<TypeId> {};

TEST_P(EveryQuantizedType, ExtremeImportanceStaysFiniteAndNoWorseThanZeros) {
    ql::test::expect_robust_to_extreme_importance(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryQuantizedType, ::testing::ValuesIn(quantized_types()),
                         [](const ::testing::TestParamInfo<TypeId>& p) {
                             return std::string(ql::quant::type_traits(p.param).name);
                         });

}  // namespace
