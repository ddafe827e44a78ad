// The README's demo command: it runs end to end (installer render → compiled filter in the host →
// model server → sink) and opens with a summary of the events — one line each, the right ids,
// types, model statuses and annotations — before the events themselves.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";

test(
  "the demo prints a summary line per event, then the events",
  { skip: existsSync("build/kserve-logger.wasm") ? false : "build/kserve-logger.wasm not built" },
  () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "testbed/demo.ts"], {
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split("\n");
    const head = lines.findIndex((l) => /^ID +TYPE +MODEL STATUS +BODY +ANNOTATIONS$/.test(l));
    assert.ok(head > 0, r.stdout);
    const rows = lines.slice(head + 1, lines.indexOf("", head)).map((l) => l.split(/ {2,}/).slice(0, 3).join(" "));
    assert.deepEqual(rows.sort(), [
      "demo-request-1 request 200",
      "demo-request-1 response 200",
      "demo-request-2 request 200",
      "demo-request-2 response 200",
      "demo-request-4 request 500",
    ]);
    assert.match(lines[head + 1]!, /tenant=acme/);
    assert.equal(
      r.stdout.split("☁️  cloudevents.Event").length - 1,
      6,
      "then the five events in full, and the LLM one",
    );
    // the LLM exchange: the installer turned LLM mode on, the event carries usage and timing
    assert.match(r.stdout, /pluginConfig: .*"llm":\{\}/);
    const llm = /the sink received the response event demo-llm-1 with: (.*)$/m.exec(r.stdout);
    assert.ok(llm, r.stdout);
    assert.match(llm[1]!, /llmcompletiontokens=8 /);
    assert.match(llm[1]!, /llmfinishreason=stop /);
    assert.match(llm[1]!, /llmmodel=llama3 /);
    assert.match(llm[1]!, /llmusage=reported/);
    assert.ok(Number(/llmttftms=(\d+)/.exec(llm[1]!)?.[1]) >= 40, "the model waited 40 ms before its first token");
  },
);
