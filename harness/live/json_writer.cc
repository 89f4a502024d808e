#include "harness/live/json_writer.h"

#include <nlohmann/json.hpp>

namespace bpsim::harness::live {

JsonWriter& JsonWriter::Int(std::int64_t value) {
  Separate();
  char buf[24];
  int n = 0;
  std::uint64_t v = value < 0 ? std::uint64_t(-(value + 1)) + 1 : std::uint64_t(value);
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  if (value < 0) out_->push_back('-');
  while (n > 0) out_->push_back(buf[--n]);
  comma_ = true;
  return *this;
}

void JsonWriter::AppendString(std::string_view s) {
  bool plain = true;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    plain &= u >= 0x20 && u < 0x7F && c != '"' && c != '\\';
  }
  if (plain) {
    out_->push_back('"');
    out_->append(s);
    out_->push_back('"');
    return;
  }
  // Rare (text echoed from a request): nlohmann's own escaping, so that both paths
  // give the same bytes.
  out_->append(nlohmann::ordered_json(std::string(s))
                   .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace bpsim::harness::live
