#pragma once
// A JSON writer for the live dialects' hot answers (balances, transactions;
// docs/live-mode.md, "Speed"): appends compact JSON to a string, no document tree, no
// allocation beyond the string's own growth. Its output is byte for byte what
// nlohmann::ordered_json::dump(-1, ' ', false, error_handler_t::replace) gives for
// the same keys in the same order (tests/harness/live_json_writer_test.cc), so
// answers built either way are the same bytes.
//
// Commas are the writer's business: a key or a value written after another value
// at the same level gets one. Nesting is the caller's: each Begin has its End.

#include <cstdint>
#include <string>
#include <string_view>

namespace bpsim::harness::live {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  // "key": (the value follows).
  JsonWriter& Key(std::string_view key) {
    Quoted(key, ':');
    comma_ = false;
    return *this;
  }
  JsonWriter& String(std::string_view value) {
    Quoted(value, '\0');
    comma_ = true;
    return *this;
  }
  JsonWriter& Int(std::int64_t value);
  // A value already in JSON form, written as is.
  JsonWriter& Raw(std::string_view json) {
    Separate();
    out_->append(json);
    comma_ = true;
    return *this;
  }
  // A string value whose characters need no escaping (digits, dates, ids bpsim
  // makes), appended by append(std::string*) between the quotes.
  template <typename Append>
  JsonWriter& Plain(Append&& append) {
    SeparateThen('"');
    append(out_);
    out_->push_back('"');
    comma_ = true;
    return *this;
  }
  // Key(key).String(value).
  JsonWriter& Field(std::string_view key, std::string_view value);

  std::string& out() { return *out_; }

 private:
  JsonWriter& Open(char c) {
    SeparateThen(c);
    comma_ = false;
    return *this;
  }
  JsonWriter& Close(char c) {
    out_->push_back(c);
    comma_ = true;
    return *this;
  }
  void Separate() {
    if (comma_) out_->push_back(',');
  }
  // Separate(), then c, in one append.
  void SeparateThen(char c) {
    if (comma_) {
      const char two[2] = {',', c};
      out_->append(two, 2);
    } else {
      out_->push_back(c);
    }
  }
  // [','] then s as a JSON string, then `after` unless it is '\0'; in one append
  // when s is short and needs no escaping (the hot case).
  void Quoted(std::string_view s, char after);
  // A JSON string: printable ASCII without '"' and '\' as is, anything else
  // escaped (and invalid UTF-8 replaced) as nlohmann's dump does it.
  void AppendString(std::string_view s);

  std::string* out_;
  bool comma_ = false;  // a value was written at this level: the next one needs ','
};

}  // namespace bpsim::harness::live
