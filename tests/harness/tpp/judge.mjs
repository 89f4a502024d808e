// What the TPP life-cycle test (run.mjs) and the judge's self-test (judge_test.mjs)
// share: the official documents, the validating proxy, and child processes that are
// always stopped and a run that is always bounded in time.

import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const source = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
// Unmodified copies of the published documents (tests/standards/README.md).
export const standards = {
  obie: path.join(source, "tests/standards/obie-v3.1.11-account-info-openapi.yaml"),
  bg: path.join(source, "tests/standards/berlin-group-nextgenpsd2-1.3.9.yaml"),
};

// Child processes logged to `dir`, stopped by cleanUp(); the whole run is failed
// (exit 1) if it is not over within `timeoutS` seconds.
export function processes(dir, timeoutS) {
  const children = [];
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const cleanUp = () => {
    clearTimeout(deadline);
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
    }
    // A child stopped just now may still be writing into `dir` (bpsim serve writes
    // its reports when told to stop): rmdir then fails with ENOTEMPTY, so retry
    // for a few seconds; the run's verdict does not depend on the clean-up.
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch (e) {
      console.error(`note: could not remove ${dir}: ${e.message}`);
    }
  };
  const deadline = setTimeout(() => {
    console.error(`FAIL: not finished within ${timeoutS} s`);
    cleanUp();
    process.exit(1);
  }, timeoutS * 1000);
  return {
    sleep,
    cleanUp,
    start(cmd, argv, logName) {
      const log = fs.openSync(path.join(dir, logName), "w");
      const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", log] });
      children.push(child);
      child.output = "";
      child.stdout.on("data", (d) => (child.output += d));
      return child;
    },
    // The first of `count` consecutive loopback ports that all accept a listener now.
    // Chosen below the kernel's ephemeral range (ip_local_port_range, 32768 and up
    // by default): a port handed out by `listen(0)` is an ephemeral one, and after a
    // suite that opened tens of thousands of loopback connections the client sockets
    // in TIME-WAIT hold ports there, so the next one up is often refused.
    async freePort(count = 1) {
      const bottom = 10000, top = Math.max(bottom + 1000, firstEphemeralPort()) - count;
      const listens = (port) => new Promise((resolve) => {
        const s = net.createServer();
        s.once("error", () => resolve(false));
        s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
      });
      for (let attempt = 0; attempt < 200; ++attempt) {
        const base = bottom + Math.floor(Math.random() * (top - bottom));
        let all = true;
        for (let i = 0; i < count && all; ++i) all = await listens(base + i);
        if (all) return base;
      }
      throw new Error(`no ${count} consecutive free loopback ports between ${bottom} and ${top + count}`);
    },
    async waitFor(what, ok, seconds = 30) {
      for (let i = 0; i < seconds * 10; ++i) {
        if (await ok()) return;
        await sleep(100);
      }
      throw new Error(`${what} did not start within ${seconds} s`);
    },
  };
}

// The first port of the kernel's ephemeral range (32768 where it cannot be read).
function firstEphemeralPort() {
  try {
    const low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    if (low > 0) return low;
  } catch {
    // not Linux: the default below
  }
  return 32768;
}

// Starts Prism (`prism` on PATH, scripts/setup) as a validating proxy holding
// `document` in front of `upstream`, on `port`; returns its URL once it answers.
// Without --errors it forwards everything and reports each violation of the
// request or the answer (status, headers, body) in the answer's sl-violations
// header, which the tests read.
export async function startJudge(start, waitFor, document, upstream, port, logName) {
  start("prism", ["proxy", document, upstream, "-p", String(port), "-v", "warn"], logName);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`prism at ${url}`, async () => fetch(url + "/").then(() => true, () => false), 60);
  return url;
}

// The violations Prism reported for an answer.
export function violations(response) {
  const header = response.headers.get("sl-violations");
  return header ? JSON.parse(header) : [];
}
