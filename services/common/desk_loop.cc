#include "services/common/desk_loop.h"

namespace servicedesk {

DeskLoop::DeskLoop() : guard_(asio::make_work_guard(context_)), thread_([this] { context_.run(); }) {}

DeskLoop::~DeskLoop() { Stop(); }

void DeskLoop::Stop() {
  guard_.reset();
  if (thread_.joinable()) thread_.join();
}

}  // namespace servicedesk
