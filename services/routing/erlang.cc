#include "services/routing/erlang.h"

#include <cmath>

namespace servicedesk::routing {

double ErlangB(double offered_load, int agents) {
  double b = 1.0;
  for (int n = 1; n <= agents; ++n) b = offered_load * b / (n + offered_load * b);
  return b;
}

ErlangC ComputeErlangC(double calls_per_hour, double handle_seconds, int agents,
                       double threshold_seconds) {
  ErlangC result{};
  const double a = calls_per_hour / 3600.0 * handle_seconds;
  const double m = agents;
  result.offered_load = a;
  result.occupancy = a / m;
  const double b = ErlangB(a, agents);
  result.probability_wait = m * b / (m - a * (1 - b));
  result.asa_seconds = result.probability_wait * handle_seconds / (m - a);
  result.service_level =
      1 - result.probability_wait * std::exp(-(m - a) * threshold_seconds / handle_seconds);
  return result;
}

}  // namespace servicedesk::routing
