#pragma once
// ES256 JSON Web Signatures (RFC 7515, RFC 7518 3.4) with OpenSSL: the signing key of
// the Plaid dialect's webhooks (docs/live-mode.md, "Plaid"). Each webhook carries a
// Plaid-Verification header, a compact JWT whose header names the key (kid) and
// whose claims are the issue time and the SHA-256 of the body, as Plaid signs its
// webhooks; the public key is served as a JWK (RFC 7517) by
// /webhook_verification_key/get.
//
// The key pair is generated when the key is made (one per `bpsim serve`): it cannot
// be guessed from the scenario, as a real aggregator's cannot, and nothing
// deterministic depends on it (webhook bodies are not on the trace).
// Thread-safe after construction (signing uses no shared state).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sim/status.h"

namespace bpsim::harness::live {

// base64url without padding (RFC 4648 5), and back (nullopt-like Error on bad input).
std::string Base64Url(std::string_view bytes);
Result<std::string> FromBase64Url(std::string_view text);
// Lower-case hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

class Es256Key {
 public:
  // A fresh P-256 key pair; `created_at` (Unix seconds, wall clock) is shown in the
  // JWK. Fails only if OpenSSL cannot make a key.
  static Result<Es256Key> Generate(std::int64_t created_at);
  Es256Key(Es256Key&&) noexcept;
  Es256Key& operator=(Es256Key&&) noexcept;
  ~Es256Key();

  // The key id: a UUID-shaped digest of the public key.
  const std::string& kid() const { return kid_; }
  // The public key as Plaid's JWKPublicKey: {"alg": "ES256", "crv": "P-256", "kid",
  // "kty": "EC", "use": "sig", "x", "y", "created_at", "expired_at": null}.
  std::string PublicJwk() const;
  // header.payload.signature: the JOSE header {"alg": "ES256", "kid", "typ": "JWT"},
  // `claims_json` as the payload, and the raw r||s ECDSA signature (64 bytes).
  std::string SignJwt(std::string_view claims_json) const;
  // Verifies a compact JWT made with this key (alg ES256, this kid, the signature);
  // returns its claims text. For tests and the reference platform's own key check.
  Result<std::string> VerifyJwt(std::string_view jwt) const;

 private:
  struct Impl;
  explicit Es256Key(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string kid_;
};

// Verifies an ES256 compact JWT against a public JWK text (kty EC, crv P-256, x, y):
// the header's alg must be ES256 and its kid the JWK's; returns the claims text.
Result<std::string> VerifyEs256Jwt(std::string_view jwt, std::string_view jwk_json);
// The kid of a compact JWT's header (not verified), or an Error.
Result<std::string> JwtKid(std::string_view jwt);

}  // namespace bpsim::harness::live
