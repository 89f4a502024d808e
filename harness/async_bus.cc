#include "harness/async_bus.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "sim/prefetch.h"

namespace bpsim::harness {

AsyncTraceForwarder::AsyncTraceForwarder() : current_(std::make_unique<Block>()) {
  next_ = current_->entries.get();
  end_ = next_ + kBlockEntries;
  consumer_ = std::thread([this] { Consume(); });
}

AsyncTraceForwarder::~AsyncTraceForwarder() { Finish(); }

std::unique_ptr<AsyncTraceForwarder::Block> AsyncTraceForwarder::TakeFree() {
  // REQUIRES: mu_ held.
  if (free_.empty()) return std::make_unique<Block>();
  auto b = std::move(free_.front());
  free_.pop_front();
  return b;
}

mocks::TraceEntry* AsyncTraceForwarder::Refill() {
  if (next_ == nullptr) {  // Finish() cleared it: the entry would be lost
    std::fputs("bpsim: internal error: a trace entry published after the judging finished\n",
               stderr);
    std::abort();
  }
  Hand(kBlockEntries);
  mocks::TraceEntry* first = current_->entries.get();
  next_ = first + 1;
  end_ = first + kBlockEntries;
  return first;
}

void AsyncTraceForwarder::Hand(std::size_t size) {
  std::unique_lock<std::mutex> lock(mu_);
  space_.wait(lock, [this] { return full_.size() < kMaxBlocksInFlight; });
  current_->size = size;
  full_.push_back(std::move(current_));
  current_ = TakeFree();
  // The consumer sleeps only once it has drained every block; waking it costs this
  // thread a futex call and an inter-processor interrupt, so it is woken once
  // kWakeBatch blocks wait rather than for each (Finish wakes it for the rest).
  if (full_.size() >= kWakeBatch) ready_.notify_one();
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
    const std::size_t n = block->size;
    const mocks::TraceEntry* entries = block->entries.get();
    // The block's lines were written on the producer's core: reading them is a
    // cross-core transfer each, which the lookahead's read of entry i + kLookahead
    // waited for (most of this loop's samples). Ask for them kStreamAhead entries
    // before that read, one line at a time (addresses as integers: the last step
    // passes the block's end).
    auto line = reinterpret_cast<std::uintptr_t>(entries);
    for (std::size_t i = 0; i < n; ++i) {
      const auto want = reinterpret_cast<std::uintptr_t>(entries + std::min(n, i + kStreamAhead));
      for (; line < want; line += 64) bpsim::Prefetch(reinterpret_cast<const void*>(line));
      if (i + kLookahead < n) {
        const mocks::TraceEntry& ahead = entries[i + kLookahead];
        if (lookahead_mask_ & mocks::TypeBit(ahead.type)) lookahead_(ahead);
      }
      consumer_bus_.PublishStored(entries[i]);
    }
    block->size = 0;
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(block));
  }
}

void AsyncTraceForwarder::Finish() {
  if (!consumer_.joinable()) return;
  {
    std::unique_lock<std::mutex> lock(mu_);
    const auto written = std::size_t(next_ - current_->entries.get());
    if (written > 0) {
      current_->size = written;
      full_.push_back(std::move(current_));
      current_ = std::make_unique<Block>();
    }
    next_ = end_ = nullptr;  // a publish after this aborts (Refill) instead of vanishing
    done_ = true;
    ready_.notify_one();
  }
  consumer_.join();
}

}  // namespace bpsim::harness
