#pragma once

// A discrete-event simulator that drives the real Router in simulated time: Poisson
// arrivals, exponential handling, agents who accept every offer at once. It measures
// what callers would see: the share who waited, the average speed of answer and the
// service level. Used to validate the core against Erlang C, and as a tool: given
// arrivals, handling times and staffing, what service level would a queue get?

#include <cstdint>

namespace servicedesk::routing {

struct SimulationConfig {
  double calls_per_hour = 720;
  double handle_seconds = 240;
  int agents = 55;
  double threshold_seconds = 15;  // for the service level
  int64_t calls = 1'000'000;      // measured, after the warm-up
  int64_t warmup_calls = 20'000;  // discarded
  uint64_t seed = 1;
  int batches = 20;               // batch means, for a confidence interval
};

struct SimulationResult {
  int64_t calls;
  double probability_wait;
  double asa_seconds;
  double service_level;  // answered within T over answered (no abandonment here)
  // Half-width of the 95% confidence interval of each, from batch means.
  double probability_wait_ci;
  double asa_ci;
  double service_level_ci;
  double decisions_per_second;  // wall clock, routing included
};

SimulationResult Simulate(const SimulationConfig& config);

}  // namespace servicedesk::routing
