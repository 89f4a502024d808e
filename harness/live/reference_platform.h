#pragma once
// bpsim's reference platform as its own process (`bpsim platform`, issue 5 and
// docs/platform-contract.md): the messenger platform's connector speaking the
// platform contract over HTTP. It links accounts (creates consents at the banks in
// their dialect, exchanges the authorization code for a token; at a Plaid bank a
// link token, then the public token exchanged for an Item's access token), answers balance
// questions in chats, relays fraud alerts from signed webhooks (de-duplicated,
// retried across messenger outages), honours revocations (stops, drops what it
// holds, deletes the consent at the bank), polls (balance and card spending), and
// runs the jobs that must stay clean: usage analytics, the ads audience and the
// partner export, built from messenger activity. The platform defects a black box
// can show are switches in this logic (`--defect NAME`), each the same mistake as in
// the simulated platform (mocks/messenger/platform.h, docs/world.md "Defects"); the
// differential test (tests/harness/live_differential_test.cc) holds the two to it.
//
// State: the link table (consents, tokens) is the platform's records, what a real
// platform keeps in its database; what it holds of the banks' data (account ids,
// balances, spending) is working memory, purged when a consent ends.
//
// Threads: the HTTP server's I/O threads only parse, check and enqueue; a pool of
// workers does every outgoing call (banks, messenger), each with its own keep-alive
// client; timer threads enqueue the polls and the periodic jobs. One mutex guards
// the customer tables and is never held across an HTTP call.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <queue>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness/live/http_client.h"
#include "harness/live/http_server.h"
#include "mocks/config.h"

namespace bpsim::harness::live {

struct PlatformBank {
  std::string id;
  mocks::Dialect dialect = mocks::Dialect::kObie;
  Url url;  // the dialect's base URL (OBIE: with /open-banking/v3.1/aisp; Plaid: the root)
};

struct PlatformOptions {
  ServerOptions listen;
  std::vector<PlatformBank> banks;
  Url messenger;
  // When set (and banks empty), the banks and the messenger are read from this
  // live.endpoints file (endpoints.h) once `bpsim serve` has written it: at the first
  // request, or when LoadEndpoints() finds it. Until then every request is 503.
  std::string endpoints_file;
  std::function<void(const std::string& line)> on_endpoints;
  std::string webhook_secret = kDefaultWebhookSecret;
  std::string partner = "adpartner";  // the partner an export goes to (defect)
  mocks::DefectSet defects;
  double poll_every_seconds = 10;   // wall seconds; 0 = no polling
  double cache_ttl_seconds = 30;    // wall seconds a fetched balance is reused
  double segment_every_seconds = 10;  // wall seconds between ads audience and partner
                                      // export runs; 0 = never
  int workers = 4;
};

// Which platform defects `bpsim platform` implements; the others cannot be seen
// from outside the platform (its cache) or are the bank's.
bool ReferencePlatformSupports(mocks::Defect d);

struct PlatformCounters {
  std::uint64_t links_requested = 0;
  std::uint64_t consents_created = 0;
  std::uint64_t tokens = 0;
  std::uint64_t balance_requests = 0;
  std::uint64_t replies_sent = 0;
  std::uint64_t alerts_shown = 0;
  std::uint64_t alerts_duplicate = 0;
  std::uint64_t webhooks = 0;
  std::uint64_t webhooks_bad_signature = 0;  // HMAC or Plaid-Verification
  std::uint64_t syncs = 0;           // Plaid /transactions/sync runs paged to the end
  std::uint64_t expiry_notices = 0;  // Plaid ITEM: PENDING_EXPIRATION told to the customer
  std::uint64_t revocations = 0;
  std::uint64_t deletes_sent = 0;
  std::uint64_t bank_calls = 0;
  std::uint64_t bank_failures = 0;
  std::uint64_t messenger_failures = 0;
};

class ReferencePlatform {
 public:
  explicit ReferencePlatform(PlatformOptions options);
  ~ReferencePlatform();  // Stop()
  ReferencePlatform(const ReferencePlatform&) = delete;
  ReferencePlatform& operator=(const ReferencePlatform&) = delete;

  // Listens and starts the workers; the bound port, or "cannot listen on ...".
  Result<std::uint16_t> Start();
  void Stop();  // idempotent; pending work is dropped
  std::uint16_t port() const;
  PlatformCounters counters() const;
  // The listener's counts (after Stop too) and its connection cap; zeros before Start.
  ServerStats server_stats() const;
  std::uint32_t max_connections() const;

  // Answers one contract request (what the listener calls).
  HttpResponse Handle(const HttpRequest& request);

  // With PlatformOptions::endpoints_file: reads it if that was not done yet. true
  // once the banks are known (the first time, on_endpoints is called with a line
  // saying which), false while the file does not exist, the error if it is malformed.
  Result<bool> LoadEndpoints();

 private:
  enum class LinkState : std::uint8_t { kNone, kPending, kActive, kEnded };
  using Clock = std::chrono::steady_clock;
  // The platform's records of a customer's link.
  struct Customer {
    std::size_t bank = 0;
    LinkState state = LinkState::kNone;
    std::uint64_t generation = 0;  // bumps on every change: stale work is dropped
    std::string consent_id, token;
    std::vector<std::string> scopes, purposes;
  };
  struct Balance {
    std::string account, amount, currency;
    Clock::time_point fetched_at;
  };
  struct Spend {
    std::string id, amount, currency;
  };
  // What the platform holds of a customer's bank data.
  struct Held {
    std::string account, card_account;  // once listed
    std::optional<Balance> balance;
    std::vector<Spend> spending;  // the card transactions of the last fetch
    std::string cursor;           // Plaid: the Item's /transactions/sync position
  };
  struct Job {
    Clock::time_point due;
    std::uint64_t seq;
    std::function<void(HttpClient&)> run;
    bool operator>(const Job& o) const { return due != o.due ? due > o.due : seq > o.seq; }
  };
  // What a bank answered for a balance.
  struct Fetched {
    unsigned status = 0;  // 0: no answer
    Balance balance;
  };

  HttpResponse Links(const HttpRequest& request);
  HttpResponse Callback(const HttpRequest& request);
  HttpResponse BalanceRequest(const HttpRequest& request);
  HttpResponse Revocation(const HttpRequest& request);
  HttpResponse Webhook(const HttpRequest& request);
  // POST /v1/plaid-webhooks/{bank}: the Item webhooks of a Plaid bank, each verified
  // (Plaid-Verification, ES256) before it is acted on.
  HttpResponse PlaidWebhook(const HttpRequest& request);
  // The URL this platform gives a Plaid bank for its Items' webhooks.
  std::string PlaidWebhookUrl(std::size_t bank) const;
  // The claims of a Plaid-Verification JWT from `bank` if it verifies (the key fetched
  // once per key id from /webhook_verification_key/get), or why not.
  Result<std::string> VerifyPlaid(std::size_t bank, std::string_view jwt, std::string_view body);

  void Enqueue(std::function<void(HttpClient&)> run, Clock::duration delay = {});
  void Worker();
  // Runs `tick` every `seconds` of wall time until Stop.
  void Every(double seconds, std::function<void()> tick);
  void EnqueuePolls();
  // The ads audience and the partner export, from messenger activity.
  void SegmentJob(HttpClient& http);

  // Work (on a worker, no lock held across calls).
  void CreateConsent(HttpClient& http, std::uint32_t customer, std::uint64_t generation,
                     std::string valid_until);
  void ExchangeCode(HttpClient& http, std::uint32_t customer, std::uint64_t generation,
                    std::string code);
  void Answer(HttpClient& http, std::uint32_t customer, std::int64_t check, bool in_group,
              std::int64_t group);
  void Poll(HttpClient& http, std::uint32_t customer, std::uint64_t generation);
  void DeleteConsent(HttpClient& http, std::size_t bank, std::string consent_id,
                     std::string token);
  void DeliverAlert(HttpClient& http, std::uint32_t customer, std::string body, int attempt);
  // Fetches the checking balance (listing accounts first if needed) into what the
  // platform holds. Needs an active link.
  Fetched FetchBalance(HttpClient& http, std::uint32_t customer, std::uint64_t generation);
  // Fetches the card account's transactions (the customer's spending) into what the
  // platform holds, if the consent covers them (or platform.overfetch_scopes).
  unsigned FetchSpending(HttpClient& http, std::uint32_t customer, std::uint64_t generation);
  // Plaid: pages /transactions/sync from the Item's cursor to the end and applies
  // added/modified/removed to the spending held. The answer's status as above.
  unsigned SyncSpending(HttpClient& http, std::uint32_t customer, std::uint64_t generation,
                        const Customer& link);
  // The platform learnt the consent is over (revocation, its webhook, a 403/401):
  // the link ends and what it holds of the customer is purged. REQUIRES mu_ held.
  void ConsentEndedLocked(std::uint32_t customer);
  // After a bank refused with 403/401, if the link is still `generation`.
  void EndLink(std::uint32_t customer, std::uint64_t generation);
  unsigned PostMessenger(HttpClient& http, const std::string& target, const std::string& body);
  Result<ClientResponse> CallBank(HttpClient& http, std::size_t bank, std::string_view method,
                                  const std::string& path, const Customer& link,
                                  std::string_view body = {});

  PlatformOptions options_;
  std::mutex endpoints_mu_;              // loading options_.banks and messenger
  std::atomic<bool> endpoints_ready_{false};  // set once; they never change after
  std::unique_ptr<HttpServer> server_;
  mutable std::mutex mu_;  // customers_, alerts_seen_, held_, activity_, counters_
  // The platform's records.
  std::map<std::uint32_t, Customer> customers_;
  std::set<std::string> alerts_seen_;
  // Working memory.
  std::map<std::uint32_t, Held> held_;
  std::map<std::uint32_t, std::uint64_t> activity_;  // balance questions per customer
  PlatformCounters counters_;
  // Plaid webhook verification keys (JWK text) by bank and key id, and the client
  // that fetches them (on the listener's thread, once per key).
  std::mutex keys_mu_;
  std::map<std::pair<std::size_t, std::string>, std::string> plaid_keys_;
  std::unique_ptr<HttpClient> key_http_;
  std::mutex jobs_mu_;
  std::condition_variable jobs_cv_;  // the workers wait here for jobs
  // The poller sleeps here between rounds. Not jobs_cv_: a notify_one meant for a
  // worker could wake the poller instead, and the job would wait for the next round.
  std::condition_variable poller_cv_;
  std::priority_queue<Job, std::vector<Job>, std::greater<Job>> jobs_;
  std::uint64_t job_seq_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::mutex stop_mu_;
  bool started_ = false, stopped_ = false;
};

// A bank of --banks or of a live.endpoints file: DIALECT obie, berlin-group or plaid,
// URL its base URL; an error names the bank and what was wrong.
Result<PlatformBank> MakePlatformBank(const std::string& id, const std::string& dialect,
                                      const std::string& url);

}  // namespace bpsim::harness::live
