#include "harness/perfetto_mapper.h"

namespace bpsim::harness {
namespace {

constexpr int kPlatformPid = 1;
constexpr int kOutagesPid = 2;
constexpr int kRequestsTid = 1, kAlertsTid = 2, kCacheTid = 3, kSinksTid = 4, kChatsTid = 5;
constexpr int kConsentsTid = 1, kFraudTid = 2, kWebhooksTid = 3;

std::uint32_t TargetKey(const mocks::Endpoint& e) {
  return e.kind == mocks::EndpointKind::kMessenger ? 0xffffu : e.id;
}

}  // namespace

PerfettoMapper::PerfettoMapper(std::FILE* out, std::string path, const mocks::TraceNames* names,
                               std::uint32_t)
    : writer_(out, std::move(path)), names_(names) {
  Note(writer_.DeclareProcess(kPlatformPid, "platform", 0));
  Note(writer_.DeclareThread(kPlatformPid, kRequestsTid, "api requests", 0));
  Note(writer_.DeclareThread(kPlatformPid, kAlertsTid, "fraud alerts", 1));
  Note(writer_.DeclareThread(kPlatformPid, kCacheTid, "cache", 2));
  Note(writer_.DeclareThread(kPlatformPid, kSinksTid, "sinks (ads, partners, analytics)", 3));
  Note(writer_.DeclareThread(kPlatformPid, kChatsTid, "chats", 4));
  Note(writer_.DeclareProcess(kOutagesPid, "outages", 1));
  for (std::size_t b = 0; b < names_->banks.size(); ++b) {
    int pid = BankPid(mocks::BankIndex(b));
    Note(writer_.DeclareProcess(pid, "bank:" + names_->banks[b], 2 + int(b)));
    Note(writer_.DeclareThread(pid, kConsentsTid, "consents", 0));
    Note(writer_.DeclareThread(pid, kFraudTid, "fraud engine", 1));
    Note(writer_.DeclareThread(pid, kWebhooksTid, "webhooks", 2));
  }
}

void PerfettoMapper::Note(const Result<bool>& r) {
  if (!r.ok() && error_.empty()) error_ = r.error().message;
}

void PerfettoMapper::OnEntry(const mocks::TraceEntry& e) {
  using mocks::EntryType;
  last_ = e.time;
  std::string name(mocks::EntryTypeName(e.type));
  reports::TraceArgs args;
  if (e.subject != mocks::kNoSubject) args.push_back({"subject", std::int64_t(e.subject)});
  if (e.consent != 0) args.push_back({"consent", std::int64_t(e.consent)});
  switch (e.type) {
    case EntryType::kApiRequest: requests_[e.ref] = {e.time, e.bank}; break;
    case EntryType::kApiResponse: {
      auto it = requests_.find(e.ref);
      if (it == requests_.end()) break;
      args.push_back({"status", std::int64_t(e.status)});
      args.push_back({"bank", names_->Bank(e.bank)});
      std::string slice = "GET " + std::string(mocks::CategoryName(static_cast<mocks::Category>(
                                       __builtin_ctz(e.categories ? e.categories : 1)))) +
                          " " + std::to_string(e.status);
      Note(writer_.Complete(kPlatformPid, kRequestsTid, it->second.first, e.time - it->second.first,
                            slice, "api", args));
      requests_.erase(it);
      break;
    }
    case EntryType::kFraudDetected:
      Note(writer_.Instant(BankPid(e.bank), kFraudTid, e.time,
                           e.reason ? "fraud detected" : "false positive", "fraud", args));
      if (e.consent != 0) alerts_[e.ref] = e.time;
      break;
    case EntryType::kAlertDisplayed: {
      auto it = alerts_.find(e.ref);
      if (it == alerts_.end()) break;
      Note(writer_.Complete(kPlatformPid, kAlertsTid, it->second, e.time - it->second,
                            "alert " + std::to_string(e.ref), "alert", args));
      alerts_.erase(it);
      break;
    }
    case EntryType::kAlertQueued:
      Note(writer_.Instant(kPlatformPid, kAlertsTid, e.time, name, "alert", args));
      break;
    case EntryType::kConsentCreated:
    case EntryType::kConsentAuthorised:
    case EntryType::kConsentRejected:
    case EntryType::kConsentRevoked:
    case EntryType::kConsentExpired:
      Note(writer_.Instant(BankPid(e.bank), kConsentsTid, e.time, name, "consent", args));
      break;
    case EntryType::kWebhookSent:
      args.push_back({"attempt", std::int64_t(e.value)});
      Note(writer_.Instant(BankPid(e.bank), kWebhooksTid, e.time, name, "webhook", args));
      break;
    case EntryType::kCachePut:
    case EntryType::kCachePurge:
      Note(writer_.Instant(kPlatformPid, kCacheTid, e.time, name, "cache", args));
      break;
    case EntryType::kOutageStart:
      outages_[TargetKey(e.to)] = {e.time, names_->Endpoint(e.to) + " " +
                                               std::string(mocks::EntryReasonName(e))};
      break;
    case EntryType::kOutageEnd: {
      auto it = outages_.find(TargetKey(e.to));
      if (it == outages_.end()) break;
      Note(writer_.Complete(kOutagesPid, 1, it->second.first, e.time - it->second.first,
                            it->second.second, "outage"));
      outages_.erase(it);
      break;
    }
    case EntryType::kFlow: {
      using mocks::EndpointKind;
      EndpointKind to = e.to.kind;
      bool sink = to == EndpointKind::kAds || to == EndpointKind::kPartner ||
                  to == EndpointKind::kAnalytics;
      bool chat = to == EndpointKind::kChat || to == EndpointKind::kGroupChat;
      if (!sink && !chat) break;
      args.push_back({"to", names_->Endpoint(e.to)});
      args.push_back({"labelled", std::int64_t(e.labelled)});
      Note(writer_.Instant(kPlatformPid, chat ? kChatsTid : kSinksTid, e.time,
                           "flow to " + names_->Endpoint(e.to), "flow", args));
      break;
    }
    default: break;
  }
}

Result<bool> PerfettoMapper::Finish() {
  for (const auto& [key, outage] : outages_) {
    (void)key;
    Note(writer_.Complete(kOutagesPid, 1, outage.first, last_ - outage.first, outage.second,
                          "outage"));
  }
  outages_.clear();
  Note(writer_.Finish());
  if (!error_.empty()) return Error{error_};
  return true;
}

}  // namespace bpsim::harness
