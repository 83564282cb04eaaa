#pragma once

// Queueing formulas of REFERENCE.md for M/M/m (Erlang C): the yardstick the routing
// simulator is validated against, and staffing estimates for supervisors.
//
//   A = λ·h (offered load, Erlangs), requires A < m
//   Erlang B by recursion: B0 = 1, Bn = A·Bn-1 / (n + A·Bn-1)
//   P(wait) = m·Bm / (m − A·(1 − Bm))
//   ASA = P(wait)·h / (m − A)
//   SL(T) = 1 − P(wait)·e^(−(m−A)·T/h)

namespace servicedesk::routing {

struct ErlangC {
  double offered_load;       // A
  double occupancy;          // A / m
  double probability_wait;   // P(wait)
  double asa_seconds;        // average speed of answer over all calls
  double service_level;      // SL(T)
};

double ErlangB(double offered_load, int agents);
// calls_per_hour λ, handle_seconds h, agents m, threshold T in seconds. Requires A < m.
ErlangC ComputeErlangC(double calls_per_hour, double handle_seconds, int agents,
                       double threshold_seconds);

}  // namespace servicedesk::routing
