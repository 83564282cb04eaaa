#include "services/routing/erlang.h"

#include <gtest/gtest.h>

namespace servicedesk::routing {
namespace {

// REFERENCE.md's worked example: 720 calls/hour, 240 s handling, 55 agents.
TEST(ErlangTest, ReferenceExample) {
  const ErlangC c = ComputeErlangC(720, 240, 55, 15);
  EXPECT_DOUBLE_EQ(c.offered_load, 48.0);
  EXPECT_NEAR(c.probability_wait, 0.2387, 0.0005);
  EXPECT_NEAR(c.asa_seconds, 8.18, 0.01);
  EXPECT_NEAR(c.service_level, 0.846, 0.0005);
}

TEST(ErlangTest, ErlangBRecursionMatchesTheClosedFormForSmallCases) {
  // B(A=1, m=1) = A/(1+A) = 0.5; B(A=2, m=2) = (A^2/2)/(1 + A + A^2/2) = 2/5.
  EXPECT_DOUBLE_EQ(ErlangB(1.0, 1), 0.5);
  EXPECT_DOUBLE_EQ(ErlangB(2.0, 2), 0.4);
}

TEST(ErlangTest, MoreAgentsMeanLessWaiting) {
  double previous = 1.0;
  for (int agents = 49; agents <= 60; ++agents) {
    const double p = ComputeErlangC(720, 240, agents, 15).probability_wait;
    EXPECT_LT(p, previous);
    previous = p;
  }
}

}  // namespace
}  // namespace servicedesk::routing
