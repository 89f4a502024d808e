#pragma once
// A small synchronous HTTP/1.1 client on Boost.Beast, for live mode's processes
// that call each other (bpsim platform -> banks and messenger; bpsim serve ->
// platform). Keeps one keep-alive connection per host:port and reconnects once when
// a kept connection turns out closed. Not thread-safe: one client per thread.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/status.h"

namespace bpsim::harness::live {

// "http://host:port/base/path" split up; https and other schemes are refused.
struct Url {
  std::string host;
  std::string port = "80";
  std::string path;  // "" or starting with '/', without a trailing '/'
  std::string Root() const { return "http://" + host + ":" + port; }
};
Result<Url> ParseUrl(std::string_view text);

struct ClientResponse {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> Header(std::string_view name) const;  // case-insensitive
};

class HttpClient {
 public:
  explicit HttpClient(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request to url.Root() + target and reads the answer. A transport
  // failure (refused, reset, timed out) is an Error naming the request.
  Result<ClientResponse> Send(const Url& url, std::string_view method, std::string_view target,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              std::string_view body = {},
                              std::string_view content_type = "application/json");

 private:
  struct Connection;
  std::chrono::milliseconds timeout_;
  std::map<std::string, std::unique_ptr<Connection>> connections_;  // by host:port
};

// The shared key of webhook signatures when none is given (--webhook-secret).
inline constexpr const char* kDefaultWebhookSecret = "bpsim-live-webhook-secret";

// Lower-case hex HMAC-SHA256 of `body` under `key` (webhook signatures).
std::string HmacSha256Hex(std::string_view key, std::string_view body);
// Compares two strings in time independent of where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace bpsim::harness::live
