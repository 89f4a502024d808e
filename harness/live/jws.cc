#include "harness/live/jws.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

namespace bpsim::harness::live {
namespace {

using Json = nlohmann::ordered_json;
constexpr std::size_t kCoordinate = 32;  // P-256: 32-byte coordinates and r, s

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};

std::string ToBytes(const BIGNUM* bn) {
  std::string out(kCoordinate, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), kCoordinate);
  return out;
}

// A public P-256 key from its coordinates (32 bytes each).
Pkey PublicKey(std::string_view x, std::string_view y) {
  if (x.size() != kCoordinate || y.size() != kCoordinate) return nullptr;
  std::string point = "\x04" + std::string(x) + std::string(y);  // uncompressed
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx) <= 0 ||
      EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
    key = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  return Pkey(key);
}

// The three dot-separated parts of a compact JWS.
struct Compact {
  std::string_view header, payload, signature;
};
Result<Compact> Split(std::string_view jwt) {
  std::size_t a = jwt.find('.');
  std::size_t b = a == std::string_view::npos ? a : jwt.find('.', a + 1);
  if (b == std::string_view::npos || jwt.find('.', b + 1) != std::string_view::npos) {
    return Error{"not a compact JWS (header.payload.signature)"};
  }
  return Compact{jwt.substr(0, a), jwt.substr(a + 1, b - a - 1), jwt.substr(b + 1)};
}

Result<Json> Header(const Compact& c) {
  auto text = FromBase64Url(c.header);
  if (!text.ok()) return Error{"the JWT header is not base64url"};
  Json header = Json::parse(*text, nullptr, false);
  if (!header.is_object()) return Error{"the JWT header is not a JSON object"};
  return header;
}

Result<std::string> Verify(const Compact& c, EVP_PKEY* key) {
  auto raw = FromBase64Url(c.signature);
  if (!raw.ok() || raw->size() != 2 * kCoordinate) {
    return Error{"the signature is not a 64-byte ES256 signature"};
  }
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw->data()), kCoordinate, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw->data()) + kCoordinate,
                        kCoordinate, nullptr);
  ECDSA_SIG_set0(sig.get(), r, s);  // takes r and s
  unsigned char* der = nullptr;
  int der_size = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_size <= 0) return Error{"cannot encode the signature"};
  std::string signing_input = std::string(c.header) + "." + std::string(c.payload);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) > 0 &&
            EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_size),
                             reinterpret_cast<const unsigned char*>(signing_input.data()),
                             signing_input.size()) == 1;
  OPENSSL_free(der);
  if (!ok) return Error{"the signature does not verify"};
  auto claims = FromBase64Url(c.payload);
  if (!claims.ok()) return Error{"the JWT payload is not base64url"};
  return *claims;
}

}  // namespace

std::string Base64Url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                            (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) |
                            std::uint8_t(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(v >> shift) & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t(std::uint8_t(bytes[i])) << 16;
    if (rest == 2) v |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    if (rest == 2) out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

Result<std::string> FromBase64Url(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (text.size() % 4 == 1) return Error{"base64url text of impossible length"};
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) return Error{"not base64url"};
    acc = (acc << 6) | std::uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char d : digest) {
    out += kHex[d >> 4];
    out += kHex[d & 15];
  }
  return out;
}

struct Es256Key::Impl {
  Pkey key;
  std::string x, y;  // public coordinates, 32 bytes each
  std::int64_t created_at = 0;
};

Es256Key::Es256Key(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  // The kid: the public key's digest in a UUID's 8-4-4-4-12 shape.
  std::string h = Sha256Hex(impl_->x + impl_->y);
  kid_ = h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}
Es256Key::Es256Key(Es256Key&&) noexcept = default;
Es256Key& Es256Key::operator=(Es256Key&&) noexcept = default;
Es256Key::~Es256Key() = default;

Result<Es256Key> Es256Key::Generate(std::int64_t created_at) {
  auto impl = std::make_unique<Impl>();
  impl->key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!impl->key) return Error{"OpenSSL could not generate a P-256 key"};
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  if (EVP_PKEY_get_bn_param(impl->key.get(), OSSL_PKEY_PARAM_EC_PUB_X, &x) <= 0 ||
      EVP_PKEY_get_bn_param(impl->key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, &y) <= 0) {
    BN_free(x);
    BN_free(y);
    return Error{"OpenSSL could not read the public key's coordinates"};
  }
  std::unique_ptr<BIGNUM, BnFree> bx(x), by(y);
  impl->x = ToBytes(x);
  impl->y = ToBytes(y);
  impl->created_at = created_at;
  return Es256Key(std::move(impl));
}

std::string Es256Key::PublicJwk() const {
  Json jwk;
  jwk["alg"] = "ES256";
  jwk["crv"] = "P-256";
  jwk["kid"] = kid_;
  jwk["kty"] = "EC";
  jwk["use"] = "sig";
  jwk["x"] = Base64Url(impl_->x);
  jwk["y"] = Base64Url(impl_->y);
  jwk["created_at"] = impl_->created_at;
  jwk["expired_at"] = nullptr;
  return jwk.dump();
}

std::string Es256Key::SignJwt(std::string_view claims_json) const {
  Json header;
  header["alg"] = "ES256";
  header["kid"] = kid_;
  header["typ"] = "JWT";
  std::string signing_input = Base64Url(header.dump()) + "." + Base64Url(claims_json);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::size_t size = 0;
  std::vector<unsigned char> der;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->key.get()) > 0 &&
      EVP_DigestSign(ctx.get(), nullptr, &size,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) > 0) {
    der.resize(size);
    if (EVP_DigestSign(ctx.get(), der.data(), &size,
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) <= 0) {
      size = 0;
    }
  }
  // DER (SEQUENCE of r, s) to JWS's fixed-size r || s.
  const unsigned char* p = der.data();
  std::unique_ptr<ECDSA_SIG, SigFree> sig(size > 0 ? d2i_ECDSA_SIG(nullptr, &p, long(size))
                                                   : nullptr);
  std::string raw;
  if (sig) {
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig.get(), &r, &s);
    raw = ToBytes(r) + ToBytes(s);
  }
  // An empty signature (OpenSSL failed, which it does not for a good key) fails
  // every verification rather than passing silently.
  return signing_input + "." + Base64Url(raw);
}

Result<std::string> Es256Key::VerifyJwt(std::string_view jwt) const {
  return VerifyEs256Jwt(jwt, PublicJwk());
}

Result<std::string> JwtKid(std::string_view jwt) {
  auto parts = Split(jwt);
  if (!parts.ok()) return parts.error();
  auto header = Header(*parts);
  if (!header.ok()) return header.error();
  const Json& kid = header->value("kid", Json());
  if (!kid.is_string()) return Error{"the JWT header has no kid"};
  return kid.get<std::string>();
}

Result<std::string> VerifyEs256Jwt(std::string_view jwt, std::string_view jwk_json) {
  auto parts = Split(jwt);
  if (!parts.ok()) return parts.error();
  auto header = Header(*parts);
  if (!header.ok()) return header.error();
  if (header->value("alg", Json()) != "ES256") return Error{"the JWT's alg is not ES256"};
  Json jwk = Json::parse(jwk_json, nullptr, false);
  if (!jwk.is_object() || jwk.value("kty", Json()) != "EC" || jwk.value("crv", Json()) != "P-256" ||
      !jwk.value("x", Json()).is_string() || !jwk.value("y", Json()).is_string()) {
    return Error{"the key is not an EC P-256 JWK"};
  }
  if (header->value("kid", Json()) != jwk.value("kid", Json())) {
    return Error{"the JWT's kid is not the key's"};
  }
  auto x = FromBase64Url(jwk["x"].get<std::string>());
  auto y = FromBase64Url(jwk["y"].get<std::string>());
  Pkey key = x.ok() && y.ok() ? PublicKey(*x, *y) : nullptr;
  if (!key) return Error{"the JWK's x and y are not a P-256 point"};
  return Verify(*parts, key.get());
}

}  // namespace bpsim::harness::live
