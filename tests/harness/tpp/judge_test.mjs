#!/usr/bin/env node
// The judge must judge: Prism, holding the official documents, is put in front of a
// deliberately broken bank (a small Node server here) and must report each fault
// in its answers (a missing required header, a relative link where the document
// wants a URI, a missing required field, a status the operation does not define)
// and report nothing for a correct answer. Exit 0 when it does.
//
//   node judge_test.mjs [--timeout SECONDS]

import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

import { processes, standards, startJudge, violations } from "./judge.mjs";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bpsim-judge-"));
const timeoutArg = process.argv.indexOf("--timeout");
const { start, freePort, waitFor, cleanUp } = processes(tmp, timeoutArg > 0 ? Number(process.argv[timeoutArg + 1]) : 90);

const obieBase = "/open-banking/v3.1/aisp";
const goodAccounts = { Data: { Account: [] }, Links: { Self: "http://bank.example/open-banking/v3.1/aisp/accounts" }, Meta: { TotalPages: 1 } };
// path -> [status, headers, body]
const answers = {
  [`${obieBase}/accounts`]: [200, { "x-fapi-interaction-id": "93bac548-d2de-4546-b106-880a5018460d" }, goodAccounts],
  [`${obieBase}/accounts/no-header`]: [200, {}, { Data: { Account: [] }, Links: { Self: "http://bank.example/x" }, Meta: {} }],
  [`${obieBase}/accounts/relative-link/balances`]: [200, { "x-fapi-interaction-id": "1" }, { Data: { Balance: [] }, Links: { Self: "/relative" }, Meta: {} }],
  [`${obieBase}/accounts/undefined-status/transactions`]: [404, { "x-fapi-interaction-id": "1" }, null],
  "/v1/accounts": [200, {}, { accounts: [{ resourceId: "a" }] }],
};

const server = http.createServer((req, res) => {
  const [status, headers, body] = answers[req.url.split("?")[0]] ?? [500, {}, null];
  res.writeHead(status, { ...headers, ...(body ? { "Content-Type": "application/json" } : {}) });
  res.end(body ? JSON.stringify(body) : undefined);
});

let failures = 0;
const expectFound = async (api, route, headers, wanted) => {
  const res = await fetch(api + route, { headers });
  await res.text();
  const found = violations(res).filter((v) => v.location[0] !== "request");
  const text = found.map((v) => `${v.location.join(".")}: ${v.message}`);
  const ok = wanted.length === 0 ? found.length === 0 : wanted.every((w) => text.some((t) => t.includes(w)));
  if (!ok) {
    ++failures;
    console.error(`FAIL: ${route}: expected ${wanted.length ? wanted.join(" and ") : "no violation"}, the judge reported ${JSON.stringify(text)}`);
  } else {
    console.log(`${route}: ${wanted.length ? `the judge reported ${text.join("; ")}` : "no violation reported"}`);
  }
};

async function main() {
  const port = await freePort();
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  const upstream = `http://127.0.0.1:${port}`;
  const obie = await startJudge(start, waitFor, standards.obie, upstream + obieBase, await freePort(), "prism-obie.log");
  const bg = await startJudge(start, waitFor, standards.bg, upstream, await freePort(), "prism-bg.log");
  const bearer = { Authorization: "Bearer t" };
  await expectFound(obie, "/accounts", bearer, []);
  await expectFound(obie, "/accounts/no-header", bearer, ["x-fapi-interaction-id"]);
  await expectFound(obie, "/accounts/relative-link/balances", bearer, ['Links.Self must match format "uri"']);
  await expectFound(obie, "/accounts/undefined-status/transactions", bearer, ["Unable to match the returned status code"]);
  await expectFound(bg, "/v1/accounts", { "X-Request-ID": "99391c7e-ad88-49ec-a2ad-99ddcb1f7721", "Consent-ID": "c" }, ["x-request-id", "currency"]);
}

main().then(
  () => {
    server.close();
    cleanUp();
    console.log(failures === 0 ? "judge self-test: 1 passed, 0 failed" : "judge self-test: 0 passed, 1 failed");
    process.exit(failures === 0 ? 0 : 1);
  },
  (e) => {
    console.error(`FAIL: ${e.stack ?? e}`);
    server.close();
    cleanUp();
    process.exit(1);
  },
);
