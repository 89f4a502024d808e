#pragma once
// Asking the memory system for a cache line that will be read (or written) soon.
//
// Not __builtin_prefetch: g++ 12 at -O2 silently deletes a __builtin_prefetch that
// sits under a condition when its address needs a load the condition does not
// (`if (b >= next) __builtin_prefetch(&heads_[b])` compiles to nothing; clang keeps
// it), and the event queue's push pipeline was measured doing nothing because of it
// (bench/README.md). An asm statement is never deleted. The instruction never
// faults, so `p` may point anywhere.

#include <cstddef>
#include <cstdint>

namespace bpsim {

inline void Prefetch(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p);
#endif
}

// The lines of the first and the last byte of the n bytes at p (n >= 1): every line
// of a span that crosses at most one line boundary (any span of up to 65 bytes; a
// longer one only where its start makes it so). The last byte's address is formed
// as an integer.
inline void PrefetchSpan(const void* p, std::size_t n) {
  Prefetch(p);
  Prefetch(reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(p) + n - 1));
}

// Prefetch for a line that will be written soon: asks for it in the exclusive state,
// so that the store does not wait for another core to give it up (PREFETCHW; a no-op
// on processors without it).
inline void PrefetchWrite(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p, 1);
#endif
}

}  // namespace bpsim
