#pragma once

// The supervisor's wallboard as lines of text (the interactive `desk-console wallboard`):
// the queues and agents of the live views (WatchQueues, WatchAgents), kept from their
// snapshot and updates, laid out for a terminal of a given size:
//
//   the title line       connection, when the figures were taken, the service level shown
//                        (its variant named, with its formula)
//   a line per queue     waiting, oldest wait, agents by state, today's offered / answered /
//                        abandoned, the service level, ASA, the estimated wait
//   tickets, complaints  open ones by status / step, overdue
//   a line per agent     state, reason, time in state, contact, handled, occupancy
//   the notice line      the outcome of the last control
//   the key help
//
// While a stream is down nothing is shown as live (the title says since when, figures are
// "last known"). Pure: no terminal, no gRPC calls. Not thread-safe: the UI thread owns it.

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent-console/agent_screen.h"
#include "servicedesk/v1/supervisor.pb.h"

namespace servicedesk::console {

class WallboardScreen {
 public:
  void Apply(const v1::QueueBoardUpdate& update);
  void Apply(const v1::AgentBoardUpdate& update);
  void SetConnection(Connection connection, std::string detail, absl::Time now);
  void Notice(std::string text, bool error = false);
  // Extra lines under the board (a routing trace asked for), until the next notice.
  void SetDetail(std::vector<std::string> lines) { detail_ = std::move(lines); }

  // `service_level`: which variant to show, "service_level_1" to "service_level_5".
  std::vector<ScreenLine> Render(int width, int height, absl::Time now,
                                 const std::string& service_level = "service_level_1") const;

 private:
  std::map<std::string, v1::QueueLiveStatus> queues_;
  std::map<std::string, v1::AgentLiveStatus> agents_;
  v1::WorkCounts tickets_;
  v1::WorkCounts complaints_;
  absl::Time as_of_ = absl::InfinitePast();
  Connection connection_ = Connection::kConnecting;
  std::string connection_detail_;
  absl::Time connection_since_ = absl::InfinitePast();
  std::string notice_;
  bool notice_error_ = false;
  std::vector<std::string> detail_;
};

}  // namespace servicedesk::console
