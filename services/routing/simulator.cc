#include "services/routing/simulator.h"

#include <chrono>
#include <cmath>
#include <queue>
#include <random>
#include <vector>

#include "services/common/clock.h"
#include "services/routing/router.h"

namespace servicedesk::routing {

namespace {

struct Completion {
  double at;  // seconds of simulated time
  uint64_t contact;
  int agent;
  bool operator>(const Completion& other) const { return at > other.at; }
};

struct BatchStats {
  double mean = 0;
  double half_width = 0;
};

BatchStats Batches(const std::vector<double>& values, int batches) {
  const std::size_t size = values.size() / static_cast<std::size_t>(batches);
  std::vector<double> means;
  for (int b = 0; b < batches; ++b) {
    double sum = 0;
    for (std::size_t i = b * size; i < (b + 1) * size; ++i) sum += values[i];
    means.push_back(sum / static_cast<double>(size));
  }
  double mean = 0;
  for (double m : means) mean += m;
  mean /= batches;
  double variance = 0;
  for (double m : means) variance += (m - mean) * (m - mean);
  variance /= (batches - 1);
  // Student t, 95%, for 19 degrees of freedom is 2.093; close enough for 10 to 50 batches.
  return {mean, 2.093 * std::sqrt(variance / batches)};
}

}  // namespace

SimulationResult Simulate(const SimulationConfig& config) {
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  ManualClock clock(start);
  PriorityPolicy policy;
  Router router(&clock, policy, config.seed);
  QueueConfig queue;
  queue.name = "simulated";
  queue.wrap_up = absl::ZeroDuration();
  queue.offer_timeout = absl::Hours(1);
  queue.preferred_agent_window = absl::ZeroDuration();
  queue.max_length = 1'000'000;
  (void)router.UpsertQueue(queue);
  std::vector<std::string> names;
  for (int i = 0; i < config.agents; ++i) {
    names.push_back("sim-" + std::to_string(i));
    (void)router.UpsertAgent(AgentConfig{names.back(), "", {}, 0});
    (void)router.Login(names.back());
    (void)router.SetReady(names.back());
  }

  std::mt19937_64 random(config.seed);
  std::exponential_distribution<double> interarrival(config.calls_per_hour / 3600.0);
  std::exponential_distribution<double> handling(1.0 / config.handle_seconds);
  std::priority_queue<Completion, std::vector<Completion>, std::greater<>> completions;
  absl::flat_hash_map<std::string, int> agent_of_name;
  for (int i = 0; i < config.agents; ++i) agent_of_name[names[i]] = i;

  const int64_t total = config.warmup_calls + config.calls;
  std::vector<double> waits;
  waits.reserve(static_cast<std::size_t>(config.calls));
  int64_t arrived = 0;
  int64_t answered = 0;
  double now = 0;
  double next_arrival = interarrival(random);
  int64_t decisions = 0;
  const auto wall_start = std::chrono::steady_clock::now();

  // Agents accept every offer the moment it is made (no ring time, no abandonment).
  auto settle = [&]() {
    for (;;) {
      auto events = router.TakeEvents();
      if (events.empty()) return;
      for (const auto& event : events) {
        const auto* offer = std::get_if<OfferMade>(&event);
        if (offer == nullptr) continue;
        ++decisions;
        auto accepted = router.Accept(offer->agent, offer->offer);
        if (!accepted.ok()) continue;
        if (answered++ >= config.warmup_calls && static_cast<int64_t>(waits.size()) < config.calls) {
          waits.push_back(absl::ToDoubleSeconds(accepted->waited));
        }
        completions.push({now + handling(random), accepted->contact, agent_of_name[offer->agent]});
      }
    }
  };

  while (static_cast<int64_t>(waits.size()) < config.calls) {
    const bool arrival = arrived < total &&
                         (completions.empty() || next_arrival <= completions.top().at);
    if (!arrival && completions.empty()) break;
    now = arrival ? next_arrival : completions.top().at;
    clock.Set(start + absl::Microseconds(static_cast<int64_t>(now * 1e6)));
    router.RunDueTimers();
    if (arrival) {
      ContactSpec spec;
      spec.queue = "simulated";
      (void)router.Enqueue(spec);
      ++arrived;
      next_arrival = now + interarrival(random);
    } else {
      const Completion done = completions.top();
      completions.pop();
      (void)router.EndContact(names[done.agent], done.contact);
    }
    settle();
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  std::vector<double> waited(waits.size()), within(waits.size());
  for (std::size_t i = 0; i < waits.size(); ++i) {
    waited[i] = waits[i] > 0 ? 1 : 0;
    within[i] = waits[i] <= config.threshold_seconds ? 1 : 0;
  }
  const BatchStats p = Batches(waited, config.batches);
  const BatchStats asa = Batches(waits, config.batches);
  const BatchStats sl = Batches(within, config.batches);
  return SimulationResult{static_cast<int64_t>(waits.size()), p.mean, asa.mean, sl.mean,
                          p.half_width, asa.half_width, sl.half_width,
                          static_cast<double>(decisions) / wall};
}

}  // namespace servicedesk::routing
