// Model validation: the real routing core, driven in simulated time with Poisson arrivals
// and exponential handling, must reproduce Erlang C (REFERENCE.md): probability of waiting
// and ASA within 2% relative, service level within 0.5 points. Near full occupancy a queue's
// waits are strongly correlated: at 10^6 calls the 95% interval of P(wait) is still about
// +-4% relative, so each load runs 10^7 calls (batch means, warm-up discarded).

#include "services/routing/simulator.h"

#include <cstdio>

#include <gtest/gtest.h>

#include "services/routing/erlang.h"

namespace servicedesk::routing {
namespace {

struct Load {
  double calls_per_hour;
  double handle_seconds;
  int agents;
  double threshold_seconds;
};

class ErlangValidationTest : public ::testing::TestWithParam<Load> {};

TEST_P(ErlangValidationTest, SimulationAgreesWithErlangC) {
  const Load load = GetParam();
  SimulationConfig config;
  config.calls_per_hour = load.calls_per_hour;
  config.handle_seconds = load.handle_seconds;
  config.agents = load.agents;
  config.threshold_seconds = load.threshold_seconds;
  config.calls = 10'000'000;
  config.warmup_calls = 100'000;
  config.seed = 7;
  const SimulationResult sim = Simulate(config);
  const ErlangC theory = ComputeErlangC(load.calls_per_hour, load.handle_seconds, load.agents,
                                        load.threshold_seconds);
  std::printf(
      "load %.0f/h x %.0f s on %d agents (occupancy %.3f): P(wait) %.4f vs %.4f (+-%.4f), "
      "ASA %.3f vs %.3f s (+-%.3f), SL(%.0f s) %.4f vs %.4f (+-%.4f); %.0f decisions/s\n",
      load.calls_per_hour, load.handle_seconds, load.agents, theory.occupancy,
      sim.probability_wait, theory.probability_wait, sim.probability_wait_ci, sim.asa_seconds,
      theory.asa_seconds, sim.asa_ci, load.threshold_seconds, sim.service_level,
      theory.service_level, sim.service_level_ci, sim.decisions_per_second);
  EXPECT_EQ(sim.calls, 10'000'000);
  EXPECT_NEAR(sim.probability_wait / theory.probability_wait, 1.0, 0.02);
  EXPECT_NEAR(sim.asa_seconds / theory.asa_seconds, 1.0, 0.02);
  EXPECT_NEAR(sim.service_level, theory.service_level, 0.005);
}

INSTANTIATE_TEST_SUITE_P(Loads, ErlangValidationTest,
                         ::testing::Values(Load{720, 240, 55, 15},  // REFERENCE.md's example
                                           Load{300, 180, 18, 20},  // occupancy 0.83
                                           Load{120, 300, 14, 30}   // occupancy 0.71
                                           ));

}  // namespace
}  // namespace servicedesk::routing
