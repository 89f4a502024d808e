#pragma once
// The trace bus (docs/architecture.md, docs/trace.md): everything observable is published as one entry;
// monitors subscribe and consume entries online, in publication order; writers
// (JSON Lines, hashes) are subscribers too. The bus is generic over the entry type
// so that the kernel knows nothing of what the entries mean.
//
// Entry must have a member `type` convertible to an integer below 64; subscribers
// say which types they want, and are called only for those.
//
// Not thread-safe. Subscribers are borrowed: they must outlive the bus or
// unsubscribe first.

#include <cassert>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "sim/prefetch.h"
#include "sim/status.h"

namespace bpsim {

template <typename Entry>
class TraceSubscriber {
 public:
  virtual ~TraceSubscriber() = default;
  virtual void OnEntry(const Entry& entry) = 0;
};

// Memory that takes every entry a bus publishes (TraceBus::SetSink): a block handed to
// another thread, say. The bus writes each entry straight into Slot(), inline, so a
// publisher's entry is built in place instead of on the stack and then copied
// through a virtual call (whose 16-byte loads of the just-stored fields stall on
// store forwarding: a tenth of the simulation thread at a million customers).
template <typename Entry>
class EntrySink {
 public:
  virtual ~EntrySink() = default;
  // Where the next entry goes. Also asks for the lines of the entry kWriteAhead
  // slots on, for writing: a sink's memory was last read by another thread (the
  // block's consumer), and each entry written there otherwise waited for its lines
  // to come back (the store buffer filled, and an unrelated store took the stall).
  // Past end_ the hint lands on unrelated memory, where it is harmless (integer
  // addresses: no pointer is formed there).
  Entry* Slot() {
    if (next_ == end_) return Refill();
    const auto ahead = reinterpret_cast<std::uintptr_t>(next_) + kWriteAhead * sizeof(Entry);
    PrefetchWrite(reinterpret_cast<const void*>(ahead));
    PrefetchWrite(reinterpret_cast<const void*>(ahead + sizeof(Entry) - 1));
    return next_++;
  }
  static constexpr std::size_t kWriteAhead = 32;

 protected:
  // Called when [next_, end_) is used up: sets a fresh non-empty range and returns
  // its first slot, which counts as taken.
  virtual Entry* Refill() = 0;
  Entry* next_ = nullptr;
  Entry* end_ = nullptr;
};

template <typename Entry>
class TraceBus {
 public:
  static constexpr std::uint64_t kAllTypes = ~0ULL;

  // Delivers entries whose type bit is set in `type_mask` to `subscriber`, after the
  // subscribers already registered for that type. Subscribing twice delivers twice.
  // REQUIRES: not called from inside OnEntry.
  void Subscribe(TraceSubscriber<Entry>* subscriber, std::uint64_t type_mask = kAllTypes) {
    for (int t = 0; t < 64; ++t) {
      if (type_mask & (1ULL << t)) by_type_[t].push_back(subscriber);
    }
  }

  // Stops all deliveries to `subscriber`; a no-op if it is not subscribed.
  // REQUIRES: not called from inside OnEntry.
  void Unsubscribe(TraceSubscriber<Entry>* subscriber) {
    for (auto& subscribers : by_type_) std::erase(subscribers, subscriber);
  }

  // Writes every entry into `sink` too, before the subscribers see it; nullptr
  // detaches. The bus borrows the sink. REQUIRES: not called from inside OnEntry.
  void SetSink(EntrySink<Entry>* sink) { sink_ = sink; }

  // Writes `entry` into the sink, if any, then calls OnEntry of each subscriber to
  // entry.type, in subscription order. REQUIRES: entry.type < 64.
  //
  // The subscribers get a copy on this frame, never `entry` itself: that keeps the
  // caller's entry from escaping, so an inlined caller builds it field by field
  // right in the sink's slot.
  void Publish(const Entry& entry) {
    const auto& subscribers = Record(entry);
    if (subscribers.empty()) return;
    const Entry copy = entry;
    for (TraceSubscriber<Entry>* s : subscribers) s->OnEntry(copy);
  }

  // Publish for an entry that already lives in memory and stays put while the
  // subscribers run (a block being republished on another thread): they read it
  // where it is, without Publish's copy, which only helps an entry being built.
  void PublishStored(const Entry& entry) {
    for (TraceSubscriber<Entry>* s : Record(entry)) s->OnEntry(entry);
  }

  bool HasSubscribers(unsigned type) const {
    return sink_ != nullptr || !by_type_[type & 63].empty();
  }
  std::uint64_t published() const { return published_; }

 private:
  // What both publishes do before the subscribers: count the entry, write it into
  // the sink; returns the entry's subscribers.
  const std::vector<TraceSubscriber<Entry>*>& Record(const Entry& entry) {
    assert(static_cast<unsigned>(entry.type) < 64);
    ++published_;
    if (sink_ != nullptr) *sink_->Slot() = entry;
    return by_type_[static_cast<unsigned>(entry.type) & 63];
  }

  std::vector<TraceSubscriber<Entry>*> by_type_[64];
  EntrySink<Entry>* sink_ = nullptr;
  std::uint64_t published_ = 0;
};

// FNV-1a over bytes: the trace hash, used by determinism checks.
class Fnv1a64 {
 public:
  void Update(const void* data, std::size_t n) {
    auto p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
      h_ ^= p[i];
      h_ *= 0x100000001b3ULL;
    }
  }
  void Update(const std::string& s) { Update(s.data(), s.size()); }
  std::uint64_t digest() const { return h_; }

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

// Writes each entry as one line of JSON (JSON Lines) through a formatter supplied by
// the layer that knows the entry's meaning, and hashes the exact bytes written, so
// the hash of a trace equals the hash of its file.
template <typename Entry>
class JsonLinesWriter final : public TraceSubscriber<Entry> {
 public:
  // Appends the JSON of `entry` to `out`; `context` is what the writer was given.
  using Formatter = void (*)(const void* context, const Entry& entry, std::string& out);

  // `file` may be null: then lines are only hashed. The writer owns neither `file`
  // nor `context`; both must outlive it.
  JsonLinesWriter(Formatter format, const void* context, std::FILE* file)
      : format_(format), context_(context), file_(file) {}
  ~JsonLinesWriter() override { Flush(); }

  void OnEntry(const Entry& entry) override {
    line_.clear();
    format_(context_, entry, line_);
    line_.push_back('\n');
    hash_.Update(line_);
    ++lines_;
    if (file_ != nullptr) {
      buffer_.append(line_);
      if (buffer_.size() >= (1u << 20)) Flush();
    }
  }

  // Writes out buffered lines; false if the file reported an error.
  bool Flush() {
    if (file_ != nullptr && !buffer_.empty()) {
      if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) failed_ = true;
      buffer_.clear();
    }
    return !failed_;
  }

  std::uint64_t hash() const { return hash_.digest(); }
  std::uint64_t lines() const { return lines_; }
  const std::string& last_line() const { return line_; }

 private:
  Formatter format_;
  const void* context_;
  std::FILE* file_;
  std::string line_;
  std::string buffer_;
  Fnv1a64 hash_;
  std::uint64_t lines_ = 0;
  bool failed_ = false;
};

}  // namespace bpsim
