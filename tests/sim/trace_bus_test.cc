#include "sim/trace_bus.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

using namespace bpsim;

namespace {

struct TestEntry {
  unsigned type = 0;
  int value = 0;
};

struct Collector final : TraceSubscriber<TestEntry> {
  std::vector<std::string> seen;
  void OnEntry(const TestEntry& e) override {
    seen.push_back(std::to_string(e.type) + ":" + std::to_string(e.value));
  }
};

void FormatTest(const void* context, const TestEntry& e, std::string& out) {
  out += "{\"";
  out += static_cast<const char*>(context);
  out += "\":" + std::to_string(e.type) + ",\"value\":" + std::to_string(e.value) + "}";
}

// A sink of small fixed regions, so Refill runs several times.
struct RegionSink final : EntrySink<TestEntry> {
  std::vector<std::vector<TestEntry>> regions;
  int refills = 0;
  TestEntry* Refill() override {
    ++refills;
    regions.emplace_back(3);
    next_ = regions.back().data() + 1;
    end_ = regions.back().data() + 3;
    return regions.back().data();
  }
  // Every slot taken so far, in order.
  std::vector<std::string> Written() const {
    std::vector<std::string> out;
    for (std::size_t r = 0; r < regions.size(); ++r) {
      const TestEntry* last = r + 1 < regions.size() ? regions[r].data() + 3 : next_;
      for (const TestEntry* e = regions[r].data(); e != last; ++e) {
        out.push_back(std::to_string(e->type) + ":" + std::to_string(e->value));
      }
    }
    return out;
  }
};

}  // namespace

TEST_CASE("TraceBus writes every entry into its sink, in order, besides the subscribers",
          "[sim][trace_bus]") {
  TraceBus<TestEntry> bus;
  RegionSink sink;
  Collector twos;
  bus.SetSink(&sink);
  bus.Subscribe(&twos, 1ULL << 2);
  CHECK(bus.HasSubscribers(5));  // the sink takes every type
  for (int i = 0; i < 10; ++i) bus.Publish(TestEntry{static_cast<unsigned>(i % 3), i});
  CHECK(sink.refills == 4);  // regions of 3 slots: 3 + 3 + 3 + 1
  CHECK(sink.Written() == std::vector<std::string>{"0:0", "1:1", "2:2", "0:3", "1:4", "2:5",
                                                   "0:6", "1:7", "2:8", "0:9"});
  CHECK(twos.seen == std::vector<std::string>{"2:2", "2:5", "2:8"});
  CHECK(bus.published() == 10);

  const TestEntry stored{2, 10};
  bus.PublishStored(stored);  // the same deliveries, without the copy
  CHECK(sink.Written().back() == "2:10");
  CHECK(twos.seen.back() == "2:10");
  CHECK(bus.published() == 11);

  bus.SetSink(nullptr);
  bus.Publish(TestEntry{2, 11});
  CHECK(sink.Written().size() == 11);
  CHECK(twos.seen.back() == "2:11");
  CHECK_FALSE(bus.HasSubscribers(5));
}

TEST_CASE("TraceBus delivers only subscribed types, in publication order", "[sim][trace_bus]") {
  TraceBus<TestEntry> bus;
  Collector all, odd, none;
  bus.Subscribe(&all);
  bus.Subscribe(&odd, (1ULL << 1) | (1ULL << 3) | (1ULL << 63));
  bus.Subscribe(&none, 0);
  const unsigned types[] = {0, 1, 2, 3, 1, 63, 4, 3};
  int value = 0;
  for (unsigned t : types) bus.Publish(TestEntry{t, value++});
  CHECK(all.seen ==
        std::vector<std::string>{"0:0", "1:1", "2:2", "3:3", "1:4", "63:5", "4:6", "3:7"});
  CHECK(odd.seen == std::vector<std::string>{"1:1", "3:3", "1:4", "63:5", "3:7"});
  CHECK(none.seen.empty());
  CHECK(bus.published() == 8);
  CHECK(bus.HasSubscribers(1));
}

TEST_CASE("TraceBus stops delivering after Unsubscribe", "[sim][trace_bus]") {
  TraceBus<TestEntry> bus;
  Collector a, b;
  bus.Subscribe(&a, 1ULL << 2);
  bus.Subscribe(&b, 1ULL << 2);
  bus.Publish(TestEntry{2, 1});
  bus.Unsubscribe(&a);
  bus.Publish(TestEntry{2, 2});
  CHECK(a.seen == std::vector<std::string>{"2:1"});
  CHECK(b.seen == std::vector<std::string>{"2:1", "2:2"});
  bus.Unsubscribe(&b);
  CHECK_FALSE(bus.HasSubscribers(2));
}

TEST_CASE("JsonLinesWriter writes exactly the bytes it hashes", "[sim][trace_bus]") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  static const char kKey[] = "type";
  std::uint64_t hash = 0;
  {
    JsonLinesWriter<TestEntry> writer(&FormatTest, kKey, file);
    TraceBus<TestEntry> bus;
    bus.Subscribe(&writer);
    for (int i = 0; i < 1'000; ++i) bus.Publish(TestEntry{static_cast<unsigned>(i % 5), i});
    CHECK(writer.lines() == 1'000);
    CHECK(writer.last_line() == "{\"type\":4,\"value\":999}\n");
    REQUIRE(writer.Flush());
    hash = writer.hash();
  }
  std::rewind(file);
  std::string bytes;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, file)) > 0) bytes.append(buf, n);
  std::fclose(file);
  CHECK(bytes.substr(0, 42) == "{\"type\":0,\"value\":0}\n{\"type\":1,\"value\":1}\n");
  Fnv1a64 file_hash;
  file_hash.Update(bytes);
  CHECK(file_hash.digest() == hash);
}

TEST_CASE("Fnv1a64 matches the published FNV-1a 64 test vectors", "[sim][trace_bus]") {
  Fnv1a64 empty;
  CHECK(empty.digest() == 0xcbf29ce484222325ULL);
  Fnv1a64 a;
  a.Update(std::string("a"));
  CHECK(a.digest() == 0xaf63dc4c8601ec8cULL);
  Fnv1a64 foobar;
  foobar.Update(std::string("foobar"));
  CHECK(foobar.digest() == 0x85944171f73967e8ULL);
}
