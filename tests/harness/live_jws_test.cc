#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "harness/live/jws.h"

namespace bpsim::harness::live {
namespace {

using Json = nlohmann::json;

TEST_CASE("jws: base64url round-trips every length and refuses other alphabets", "[live]") {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    CHECK(FromBase64Url(Base64Url(bytes)).value() == bytes);
    bytes.push_back(static_cast<char>(i * 37 + 250));
  }
  CHECK(Base64Url("\xfb\xff") == "-_8");
  CHECK(FromBase64Url("a+b/").error().message == "not base64url");
  CHECK(FromBase64Url("abcde").error().message == "base64url text of impossible length");
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("jws: an ES256 JWT verifies with the key's JWK and with nothing else", "[live]") {
  Es256Key key = Es256Key::Generate(1700000000).value();
  Json jwk = Json::parse(key.PublicJwk());
  CHECK(jwk["alg"] == "ES256");
  CHECK(jwk["crv"] == "P-256");
  CHECK(jwk["kty"] == "EC");
  CHECK(jwk["use"] == "sig");
  CHECK(jwk["kid"] == key.kid());
  CHECK(key.kid().size() == 36);
  CHECK(jwk["created_at"] == 1700000000);
  CHECK(jwk["expired_at"].is_null());
  CHECK(FromBase64Url(jwk["x"].get<std::string>()).value().size() == 32);

  const std::string claims = R"({"iat":1700000000,"request_body_sha256":"ab"})";
  const std::string jwt = key.SignJwt(claims);
  CHECK(JwtKid(jwt).value() == key.kid());
  CHECK(key.VerifyJwt(jwt).value() == claims);
  CHECK(VerifyEs256Jwt(jwt, key.PublicJwk()).value() == claims);
  Json header = Json::parse(FromBase64Url(jwt.substr(0, jwt.find('.'))).value());
  CHECK(header == Json::parse(R"({"alg":"ES256","kid":")" + key.kid() + R"(","typ":"JWT"})"));

  // Another body under the same signature, another key, another algorithm.
  const std::size_t dot = jwt.find('.');
  const std::string forged = jwt.substr(0, dot + 1) + Base64Url(R"({"iat":1})") +
                             jwt.substr(jwt.rfind('.'));
  CHECK(key.VerifyJwt(forged).error().message == "the signature does not verify");
  Es256Key other = Es256Key::Generate(0).value();
  CHECK(VerifyEs256Jwt(jwt, other.PublicJwk()).error().message ==
        "the JWT's kid is not the key's");
  Json swapped = Json::parse(other.PublicJwk());
  swapped["kid"] = key.kid();
  CHECK(VerifyEs256Jwt(jwt, swapped.dump()).error().message == "the signature does not verify");
  const std::string none = Base64Url(R"({"alg":"none","kid":")" + key.kid() + "\"}") +
                           jwt.substr(dot);
  CHECK(key.VerifyJwt(none).error().message == "the JWT's alg is not ES256");
  CHECK(key.VerifyJwt("a.b").error().message == "not a compact JWS (header.payload.signature)");
}

}  // namespace
}  // namespace bpsim::harness::live
