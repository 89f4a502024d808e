#include "harness/async_bus.h"

namespace bpsim::harness {

AsyncTraceForwarder::AsyncTraceForwarder() : current_(std::make_unique<Block>()) {
  current_->reserve(kBlockEntries);
  consumer_ = std::thread([this] { Consume(); });
}

AsyncTraceForwarder::~AsyncTraceForwarder() { Finish(); }

std::unique_ptr<AsyncTraceForwarder::Block> AsyncTraceForwarder::TakeFree() {
  // REQUIRES: mu_ held.
  if (free_.empty()) {
    auto b = std::make_unique<Block>();
    b->reserve(kBlockEntries);
    return b;
  }
  auto b = std::move(free_.front());
  free_.pop_front();
  return b;
}

void AsyncTraceForwarder::Hand() {
  std::unique_lock<std::mutex> lock(mu_);
  space_.wait(lock, [this] { return full_.size() < kMaxBlocksInFlight; });
  full_.push_back(std::move(current_));
  current_ = TakeFree();
  ready_.notify_one();
}

void AsyncTraceForwarder::Consume() {
  while (true) {
    std::unique_ptr<Block> block;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ready_.wait(lock, [this] { return !full_.empty() || done_; });
      if (full_.empty()) return;  // done and drained
      block = std::move(full_.front());
      full_.pop_front();
      space_.notify_one();
    }
    const std::size_t n = block->size();
    const mocks::TraceEntry* entries = block->data();
    for (std::size_t i = 0; i < n; ++i) {
      if (i + kLookahead < n) {
        const mocks::TraceEntry& ahead = entries[i + kLookahead];
        if (lookahead_mask_ & mocks::TypeBit(ahead.type)) lookahead_(ahead);
      }
      consumer_bus_.Publish(entries[i]);
    }
    block->clear();
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(block));
  }
}

void AsyncTraceForwarder::Finish() {
  if (!consumer_.joinable()) return;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (current_ && !current_->empty()) {
      full_.push_back(std::move(current_));
      current_ = std::make_unique<Block>();
    }
    done_ = true;
    ready_.notify_one();
  }
  consumer_.join();
}

}  // namespace bpsim::harness
