// The public enums' names (ebmkit/names.hpp): every value has one, read back to itself;
// to_string writes the same; an unknown name or another case is none; the ebm command's
// choices are the library's (ebm_command_test checks its help).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "ebmkit/names.hpp"
#include "ebmkit/sample.hpp"

namespace ebmkit {
namespace {

template <class E>
void expect_round_trip(const std::vector<E>& values) {
    const std::vector<std::string> names = names_of<E>();
    ASSERT_EQ(names.size(), values.size());
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size()) << "names must differ";
    for (std::size_t i = 0; i < values.size(); ++i) {
        EXPECT_EQ(names[i], to_string(values[i])) << "declaration order";
        const std::optional<E> back = value_named<E>(names[i]);
        ASSERT_TRUE(back.has_value()) << names[i];
        EXPECT_EQ(*back, values[i]) << names[i];
        std::string upper = names[i];
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        EXPECT_FALSE(value_named<E>(upper).has_value()) << upper;
    }
    EXPECT_FALSE(value_named<E>("").has_value());
    EXPECT_FALSE(value_named<E>("no-such-name").has_value());
}

TEST(Names, EveryPublicEnumRoundTrips) {
    expect_round_trip<Backend>({Backend::Cpu, Backend::Cuda, Backend::Auto});
    expect_round_trip<Precision>({Precision::Fp32, Precision::Tf32, Precision::Bf16});
    expect_round_trip<MlpPath>({MlpPath::Auto, MlpPath::Fused, MlpPath::Unfused});
    expect_round_trip<TilePlan>({TilePlan::Auto, TilePlan::RowTiles, TilePlan::Clusters, TilePlan::Grid});
    expect_round_trip<SamplerKind>({SamplerKind::Ula, SamplerKind::Mala, SamplerKind::Hmc});
    expect_round_trip<ActivationKind>({ActivationKind::Relu, ActivationKind::LeakyRelu, ActivationKind::Elu,
                                       ActivationKind::Silu, ActivationKind::Tanh, ActivationKind::Softplus});
    expect_round_trip<OptimizerKind>({OptimizerKind::Sgd, OptimizerKind::Adam, OptimizerKind::Adamax});
}

TEST(Names, AreTheOnesCheckpointsAndTheCommandUse) {
    EXPECT_EQ(names_of<ActivationKind>(),
              (std::vector<std::string>{"relu", "leaky_relu", "elu", "silu", "tanh", "softplus"}));
    EXPECT_EQ(names_of<OptimizerKind>(), (std::vector<std::string>{"sgd", "adam", "adamax"}));
    EXPECT_EQ(names_of<Backend>(), (std::vector<std::string>{"cpu", "cuda", "auto"}));
}

}  // namespace
}  // namespace ebmkit
