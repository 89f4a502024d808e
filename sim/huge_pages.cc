#include "sim/huge_pages.h"

#include <sys/mman.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace bpsim {
namespace {

// The prefaulting thread and its queue of ranges. Add asks it to map the pages of
// [p, p + bytes) writable, from the last page to the first
// (madvise(MADV_POPULATE_WRITE), Linux 5.14; elsewhere nothing). The caller may write,
// read or free the memory meanwhile: populating never changes contents, and a range
// freed before the thread reaches it fails the madvise, which ends that range (the
// worst case, a range freed and mapped again for another allocation, maps pages that
// allocation was given anyway). A hint, like MADV_HUGEPAGE: only speed depends on it.
//
// Created on first use and never destroyed: the thread is detached and may be
// waiting on the queue when the process exits, so the queue must outlive every static
// destructor.
class Prefaulter {
 public:
  static Prefaulter& Get() {
    static Prefaulter* const instance = new Prefaulter();
    return *instance;
  }

  void Add(char* p, std::size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ranges_.emplace_back(p, bytes);
    }
    wake_.notify_one();
  }

 private:
  Prefaulter() { std::thread([this] { Run(); }).detach(); }

  [[noreturn]] void Run() {
    for (;;) {
      std::pair<char*, std::size_t> range;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return !ranges_.empty(); });
        range = ranges_.front();
        ranges_.pop_front();
      }
      Populate(range.first, range.second);
    }
  }

  // Last page first: the allocating thread usually writes from the front (a
  // vector's value-initialisation, or the elements moved into a grown one), so the
  // two meet once instead of faulting the same pages one after the other. One huge
  // page per call, so that a free (munmap) waits for at most one page's zeroing.
  static void Populate(char* p, std::size_t bytes) {
#ifdef MADV_POPULATE_WRITE
    std::size_t end = bytes;
    while (end > 0) {
      const std::size_t step = end >= kHugePageBytes ? kHugePageBytes : end;
      end -= step;
      if (::madvise(p + end, step, MADV_POPULATE_WRITE) != 0) return;  // freed, or unsupported
    }
#else
    (void)p;
    (void)bytes;
#endif
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<char*, std::size_t>> ranges_;
};

}  // namespace

void* AllocateHugePages(std::size_t bytes) {
  if (bytes > static_cast<std::size_t>(-1) - kHugePageBytes) return nullptr;
  bytes = (bytes + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  void* p = std::aligned_alloc(kHugePageBytes, bytes);
  if (p == nullptr) return nullptr;
  // Before the first touch, so that page faults map huge pages; failure (no THP in
  // this kernel) leaves ordinary pages.
  ::madvise(p, bytes, MADV_HUGEPAGE);
  if (bytes >= kPrefaultBytes) Prefaulter::Get().Add(static_cast<char*>(p), bytes);
  return p;
}

}  // namespace bpsim
