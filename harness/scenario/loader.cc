// LoadScenario / ParseScenario / ScenarioJsonSchema: input limits, YAML parsing and
// the walk of the format's tables (format.cc), with every problem collected.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "harness/scenario/format.h"
#include "harness/scenario/pattern.h"
#include "harness/scenario/reader.h"
#include "harness/scenario/scenario.h"

namespace bpsim::harness {
namespace {

using namespace scenario_internal;  // NOLINT: the loader is the format's implementation

// Measures the document from parser events before any tree is built: nesting depth,
// and the number of nodes the tree has once every alias is expanded (an alias counts
// as the whole subtree it names), so an alias bomb is refused in linear time.
class ExpansionLimits : public YAML::EventHandler {
 public:
  struct Exceeded {
    Position pos;
    std::string message;
  };

  void OnDocumentStart(const YAML::Mark&) override { sizes_.clear(); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { Leaf(mark, anchor); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Add(mark, anchor < sizes_.size() && sizes_[anchor] > 0 ? sizes_[anchor] : 1);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    Leaf(mark, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    YAML::anchor_t anchor;
    std::size_t nodes;
  };
  static Position PosOf(const YAML::Mark& m) { return {m.line + 1, m.column + 1}; }

  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    Record(anchor, 1);
    Add(mark, 1);
  }
  void Record(YAML::anchor_t anchor, std::size_t nodes) {
    if (anchor == YAML::NullAnchor) return;
    if (anchor >= sizes_.size()) sizes_.resize(anchor + 1, 0);
    sizes_[anchor] = nodes;
  }
  void Add(const YAML::Mark& mark, std::size_t nodes) {
    total_ = std::min(total_ + nodes, kMaxNodes + 1);
    if (!stack_.empty()) stack_.back().nodes = std::min(stack_.back().nodes + nodes, kMaxNodes + 1);
    if (total_ > kMaxNodes) {
      throw Exceeded{PosOf(mark), "the document expands to more than " + std::to_string(kMaxNodes) +
                                      " nodes (each use of an alias counts); refusing to load it"};
    }
  }
  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (int(stack_.size()) + 1 > kMaxNestingDepth) {
      throw Exceeded{PosOf(mark), "nesting deeper than " + std::to_string(kMaxNestingDepth) +
                                      " levels; a scenario never needs more"};
    }
    Add(mark, 1);
    stack_.push_back(Frame{anchor, 1});
  }
  void Close() {
    Frame f = stack_.back();
    stack_.pop_back();
    Record(f.anchor, f.nodes);
    if (!stack_.empty()) {
      // The frame's own nodes were already added to the total as they arrived.
      stack_.back().nodes = std::min(stack_.back().nodes + f.nodes - 1, kMaxNodes + 1);
    }
  }

  std::vector<Frame> stack_;
  // Expanded size by anchor id (yaml-cpp numbers a document's anchors 1, 2, ...).
  std::vector<std::size_t> sizes_;
  std::size_t total_ = 0;
};

std::string SizeMessage(std::uint64_t bytes) {
  return "scenario is " + std::to_string(bytes) + " bytes; the limit is " +
         std::to_string(kMaxScenarioBytes) + " bytes (16 MiB)";
}

}  // namespace

Result<Scenario> ParseScenario(const std::string& text, const std::string& path) {
  Diagnostics diags;
  if (auto problem = CheckScenarioText(text)) {
    diags.Add(problem->pos, problem->message);
    return Error{diags.Render(path)};
  }
  std::vector<YAML::Node> docs;
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    ExpansionLimits limits;
    while (parser.HandleNextDocument(limits)) {
    }
    docs = YAML::LoadAll(text);
  } catch (const ExpansionLimits::Exceeded& e) {
    diags.Add(e.pos, e.message);
    return Error{diags.Render(path)};
  } catch (const YAML::DeepRecursion& e) {
    diags.Add({e.mark.line + 1, e.mark.column + 1},
              "nesting deeper than the YAML parser allows; a scenario never needs more than " +
                  std::to_string(kMaxNestingDepth) + " levels");
    return Error{diags.Render(path)};
  } catch (const YAML::Exception& e) {
    Position pos = e.mark.is_null() ? Position{1, 1} : Position{e.mark.line + 1, e.mark.column + 1};
    diags.Add(pos, "YAML syntax error: " + e.msg);
    return Error{diags.Render(path)};
  }
  if (docs.empty() || (docs.size() == 1 && docs[0].IsNull())) {
    diags.Add({1, 1}, "empty scenario; expected a mapping with keys such as scenario, duration, world");
    return Error{diags.Render(path)};
  }
  if (docs.size() > 1) {
    diags.Add(PosOf(docs[1], {1, 1}),
              "a scenario file holds one YAML document; found " + std::to_string(docs.size()));
    return Error{diags.Render(path)};
  }
  const YAML::Node& root = docs[0];
  if (!root.IsMap()) {
    diags.Add(PosOf(root, {1, 1}),
              "expected a mapping with keys such as scenario, duration, world at the top level, got " +
                  KindOf(root));
    return Error{diags.Render(path)};
  }

  Ctx c;
  c.invariant_ids = Names(kInvariantIds);
  Scenario scenario;
  scenario.file = path;
  scenario.id = DefaultScenarioId(path);
  for (const char* id : kInvariantIds) {
    InvariantConfig inv;
    inv.id = id;
    scenario.invariants.push_back(inv);
  }
  try {
    ReadObject(c, ScenarioFormat(), root, PosOf(root, {1, 1}), "", &scenario);
  } catch (const YAML::Exception& e) {
    c.diags.Add({e.mark.line + 1, e.mark.column + 1}, std::string("internal error reading YAML: ") + e.what());
  }
  if (!c.diags.empty()) return Error{c.diags.Render(path)};
  if (scenario.spec.world.banks.empty()) {
    mocks::BankConfig bank;
    bank.id = "bank";
    scenario.spec.world.banks.push_back(bank);
  }
  return scenario;
}

std::string DefaultScenarioId(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(path, ec);
  if (ec) p = path;
  p = p.lexically_normal();
  std::filesystem::path id = p.filename();
  for (std::filesystem::path dir = p.parent_path(); !dir.empty() && dir != dir.root_path();
       dir = dir.parent_path()) {
    if (dir.filename() == "scenarios") {
      id = p.lexically_relative(dir);
      break;
    }
  }
  std::string text = id.generic_string();
  if (text.size() > 5 && text.compare(text.size() - 5, 5, ".yaml") == 0) text.resize(text.size() - 5);
  return text;
}

Result<Scenario> LoadScenario(const std::string& path) {
  auto cannot_read = [&](int err) {
    return Error{path + ": cannot read: " + std::strerror(err)};
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return cannot_read(errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return cannot_read(err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return cannot_read(EISDIR);
  }
  if (S_ISREG(st.st_mode) && std::uint64_t(st.st_size) > kMaxScenarioBytes) {
    ::close(fd);
    return Error{path + ": " + SizeMessage(std::uint64_t(st.st_size))};
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return cannot_read(err);
    }
    if (n == 0) break;
    text.append(buf, std::size_t(n));
    if (text.size() > kMaxScenarioBytes) {  // a pipe or a file that grew
      ::close(fd);
      return Error{path + ": " + SizeMessage(text.size()) + " or more"};
    }
  }
  ::close(fd);
  return ParseScenario(text, path);
}

std::string ScenarioJsonSchema() {
  Scenario defaults;
  Json schema = Json::object();
  schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  schema["title"] = "bpsim scenario";
  schema["description"] =
      "One bpsim scenario (docs/scenario-reference.md). Generated by `bpsim schema` "
      "from the loader's own tables.";
  Json body = ObjectSchema(ScenarioFormat(), &defaults);
  for (auto it = body.begin(); it != body.end(); ++it) schema[it.key()] = it.value();
  schema["$defs"] = Json{{"pattern", PatternSchema()}, {"pattern_fields", PatternFieldsSchema()}};
  return schema.dump(2) + "\n";
}

}  // namespace bpsim::harness
