#include "harness/live/http_client.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>

namespace bpsim::harness::live {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Result<Url> ParseUrl(std::string_view text) {
  constexpr std::string_view kScheme = "http://";
  if (text.substr(0, kScheme.size()) != kScheme) {
    return Error{"URL '" + std::string(text) + "' must start with http:// (https is not supported)"};
  }
  std::string_view rest = text.substr(kScheme.size());
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  Url url;
  if (slash != std::string_view::npos) url.path = std::string(rest.substr(slash));
  while (!url.path.empty() && url.path.back() == '/') url.path.pop_back();
  std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      return Error{"URL '" + std::string(text) + "' has an invalid port"};
    }
    url.port = std::string(port);
    authority = authority.substr(0, colon);
  }
  if (authority.empty()) return Error{"URL '" + std::string(text) + "' has no host"};
  url.host = std::string(authority);
  return url;
}

std::optional<std::string> ClientResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(k[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return v;
  }
  return std::nullopt;
}

struct HttpClient::Connection {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool open = false;
};

HttpClient::HttpClient(std::chrono::milliseconds timeout) : timeout_(timeout) {}
HttpClient::~HttpClient() = default;

Result<ClientResponse> HttpClient::Send(
    const Url& url, std::string_view method, std::string_view target,
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view body,
    std::string_view content_type) {
  const std::string key = url.host + ":" + url.port;
  std::unique_ptr<Connection>& slot = connections_[key];
  http::request<http::string_body> req;
  req.method(http::string_to_verb(method));
  req.target(target);
  req.version(11);
  req.set(http::field::host, key);
  req.set(http::field::user_agent, "bpsim");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.set(http::field::content_type, content_type);
    req.body() = std::string(body);
  }
  req.keep_alive(true);
  req.prepare_payload();

  std::string last_error;
  // A kept connection may have been closed by the server in between: one retry on a
  // fresh connection (requests here are safe to resend: the server saw none of it,
  // or it is idempotent by design of the contract).
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = slot && slot->open;
    if (!reused) {
      slot = std::make_unique<Connection>();
      beast::error_code ec;
      tcp::resolver resolver(slot->ioc);
      auto endpoints = resolver.resolve(url.host, url.port, ec);
      if (ec) return Error{"cannot resolve " + key + ": " + ec.message()};
      slot->stream.expires_after(timeout_);
      slot->stream.connect(endpoints, ec);
      if (ec) {
        slot.reset();
        return Error{std::string(method) + " " + url.Root() + std::string(target) + ": " +
                     ec.message()};
      }
      slot->open = true;
    }
    beast::error_code ec;
    slot->stream.expires_after(timeout_);
    http::write(slot->stream, req, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    if (!ec) {
      slot->stream.expires_after(timeout_);
      http::read(slot->stream, slot->buffer, parser, ec);
    }
    if (ec) {
      last_error = ec.message();
      slot.reset();
      // Only a kept connection is retried: a fresh one that fails is the answer.
      if (reused && ec != beast::error::timeout) continue;
      return Error{std::string(method) + " " + url.Root() + std::string(target) + ": " +
                   last_error};
    }
    http::response<http::string_body> res = parser.release();
    ClientResponse out;
    out.status = res.result_int();
    out.body = std::move(res.body());
    for (const auto& field : res) {
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    if (!res.keep_alive()) slot.reset();
    return out;
  }
  return Error{std::string(method) + " " + url.Root() + std::string(target) + ": " + last_error};
}

std::string HmacSha256Hex(std::string_view key, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace bpsim::harness::live
