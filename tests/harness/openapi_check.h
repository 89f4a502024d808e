#pragma once
// A test-side check of HTTP responses against an OpenAPI 3 document: finds the
// schema of (path template, method, status) and validates a JSON body against it.
// It implements the JSON Schema keywords the documents bpsim checks against use
// (the official OBIE v3.1.11 Account Information document and docs/openapi/):
// $ref, type, properties, required, additionalProperties, items, enum, minLength,
// maxLength, minItems, maxItems, minProperties, pattern, format date-time / date.
// Unknown keywords are ignored (descriptions, x-namespaced-enum, default...).

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

namespace bpsim::testing_openapi {

using Json = nlohmann::json;

inline Json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Json j = Json::object();
      for (const auto& kv : node) j[kv.first.as<std::string>()] = YamlToJson(kv.second);
      return j;
    }
    case YAML::NodeType::Sequence: {
      Json j = Json::array();
      for (const auto& item : node) j.push_back(YamlToJson(item));
      return j;
    }
    case YAML::NodeType::Scalar: {
      // Keep scalars as strings except the booleans and numbers schemas need.
      const std::string s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted
      if (s == "true") return true;
      if (s == "false") return false;
      char* end = nullptr;
      long long v = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && *end == '\0') return v;
      return s;
    }
    default:
      return nullptr;
  }
}

class OpenApi {
 public:
  explicit OpenApi(const std::string& path) : doc_(YamlToJson(YAML::LoadFile(path))) {}

  const Json& doc() const { return doc_; }

  // True if the document defines `status` for the operation.
  bool Defines(const std::string& path, const std::string& method, unsigned status) const {
    const Json& op = doc_["paths"][path][method];
    return op["responses"].contains(std::to_string(status));
  }

  // Errors of `body` against the JSON schema of the operation's response; a
  // response without content must have an empty body.
  std::vector<std::string> Check(const std::string& path, const std::string& method,
                                 unsigned status, const std::string& body) const {
    std::vector<std::string> errors;
    const Json& responses = doc_["paths"][path][method]["responses"];
    const std::string code = std::to_string(status);
    if (!responses.contains(code)) {
      errors.push_back(method + " " + path + " does not define status " + code);
      return errors;
    }
    const Json& response = Resolve(responses[code]);
    if (!response.contains("content")) {
      if (!body.empty()) errors.push_back("status " + code + " has no content, got a body");
      return errors;
    }
    const Json* schema = nullptr;
    for (const auto& [type, media] : response["content"].items()) {
      if (type.rfind("application/json", 0) == 0) schema = &media["schema"];
    }
    if (schema == nullptr) {
      if (!response["content"].contains("text/plain") && !response["content"].contains("text/html")) {
        errors.push_back("no application/json, text/plain or text/html content for status " + code);
      }
      return errors;  // a text or HTML body: its schema is only "type: string"
    }
    Json instance = Json::parse(body, nullptr, false);
    if (instance.is_discarded()) {
      errors.push_back("body is not JSON");
      return errors;
    }
    Validate(instance, *schema, "$", &errors);
    return errors;
  }

 private:
  const Json& Resolve(const Json& node) const {
    if (!node.is_object() || !node.contains("$ref")) return node;
    std::string ref = node["$ref"];  // "#/components/schemas/Name"
    const Json* at = &doc_;
    std::size_t pos = 2;
    while (pos <= ref.size()) {
      std::size_t slash = ref.find('/', pos);
      std::string key =
          ref.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
      at = &(*at)[key];
      if (slash == std::string::npos) break;
      pos = slash + 1;
    }
    return Resolve(*at);
  }

  static bool HasType(const Json& v, const std::string& type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "integer") return v.is_number_integer();
    if (type == "number") return v.is_number();
    if (type == "boolean") return v.is_boolean();
    return true;
  }

  void Validate(const Json& v, const Json& schema_ref, const std::string& where,
                std::vector<std::string>* errors) const {
    const Json& s = Resolve(schema_ref);
    auto fail = [&](const std::string& what) { errors->push_back(where + ": " + what); };
    if (s.contains("type") && !HasType(v, s["type"].get<std::string>())) {
      return fail("expected " + s["type"].get<std::string>() + ", got " + v.dump());
    }
    if (s.contains("enum")) {
      bool found = false;
      for (const Json& e : s["enum"])
        found = found || e == v || (e.is_string() && v.is_string() && e == v);
      if (!found) fail(v.dump() + " is not one of " + s["enum"].dump());
    }
    if (v.is_string()) {
      const std::string text = v.get<std::string>();
      if (s.contains("minLength") && text.size() < s["minLength"].get<std::size_t>())
        fail("too short");
      if (s.contains("maxLength") && text.size() > s["maxLength"].get<std::size_t>())
        fail("too long");
      if (s.contains("pattern") &&
          !std::regex_search(text, std::regex(s["pattern"].get<std::string>()))) {
        fail("'" + text + "' does not match " + s["pattern"].get<std::string>());
      }
      if (s.value("format", "") == "date-time" &&
          !std::regex_match(
              text, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d))"))) {
        fail("'" + text + "' is not a date-time");
      }
      if (s.value("format", "") == "date" &&
          !std::regex_match(text, std::regex(R"(\d{4}-\d\d-\d\d)"))) {
        fail("'" + text + "' is not a date");
      }
    }
    if (v.is_array()) {
      if (s.contains("minItems") && v.size() < s["minItems"].get<std::size_t>())
        fail("too few items");
      if (s.contains("maxItems") && v.size() > s["maxItems"].get<std::size_t>())
        fail("too many items");
      if (s.contains("items")) {
        for (std::size_t i = 0; i < v.size(); ++i) {
          Validate(v[i], s["items"], where + "[" + std::to_string(i) + "]", errors);
        }
      }
    }
    if (v.is_object()) {
      if (s.contains("minProperties") && v.size() < s["minProperties"].get<std::size_t>()) {
        fail("too few properties");
      }
      if (s.contains("required")) {
        for (const Json& r : s["required"]) {
          if (!v.contains(r.get<std::string>())) fail("missing required " + r.get<std::string>());
        }
      }
      const Json properties = s.value("properties", Json::object());
      for (const auto& [key, value] : v.items()) {
        if (properties.contains(key)) {
          Validate(value, properties[key], where + "." + key, errors);
        } else if (s.contains("additionalProperties")) {
          const Json& extra = s["additionalProperties"];
          if (extra.is_boolean() && !extra.get<bool>()) {
            fail("unexpected property " + key);
          } else if (extra.is_object()) {
            Validate(value, extra, where + "." + key, errors);
          }
        }
      }
    }
  }

  Json doc_;
};

}  // namespace bpsim::testing_openapi
