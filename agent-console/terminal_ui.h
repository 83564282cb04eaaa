#pragma once

// The interactive full-screen mode (`desk-console ui`): the agent's session on an ncurses
// screen (agent_screen.h lays it out). One thread reads the session stream and reconnects
// when it breaks (1, 2, 4 then every 5 s), saying so on screen; the UI thread paints at
// least twice a second (the offer's seconds left, time in state) and runs the keys' commands
// as unary calls with a deadline, showing a refusal in the server's words.

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

namespace servicedesk::console {

struct TerminalOptions {
  std::string token;        // bearer token of the agent
  std::string agent_label;  // shown on the status line
  std::string agent;        // agents/{id}: the token's principal (their tickets, follow-ups)
  int timeout_ms = 5000;    // each command's deadline
};

// Runs until the agent quits ([q]); returns the process's exit code.
int RunTerminal(const std::shared_ptr<grpc::Channel>& channel, const TerminalOptions& options);

// The supervisor's wallboard (`desk-console wallboard`): the live queue and agent views
// (WatchQueues, WatchAgents, two updates a second), the service-level variant chosen with
// [1]-[5] and named with its formula, and the controls on keys. Until [q].
int RunWallboard(const std::shared_ptr<grpc::Channel>& channel, const TerminalOptions& options);

}  // namespace servicedesk::console
