import assert from "node:assert/strict";
import { test } from "node:test";
import { revisionEndpoints } from "../src/endpoints.js";

test("traffic split: the revision being rolled out is canary, the last rolled out default", () => {
  const status = {
    components: {
      predictor: {
        latestReadyRevision: "m-predictor-00003",
        latestRolledoutRevision: "m-predictor-00002",
        traffic: [
          { revisionName: "m-predictor-00003", percent: 20, latestRevision: true, tag: "latest" },
          { revisionName: "m-predictor-00002", percent: 80, latestRevision: false, tag: "prev" },
        ],
      },
    },
  };
  assert.deepEqual(revisionEndpoints(status, "predictor"), {
    "m-predictor-00003": "canary",
    "m-predictor-00002": "default",
  });
  assert.deepEqual(revisionEndpoints(status, "transformer"), {});
});

test("no split: the serving revision is default", () => {
  assert.deepEqual(
    revisionEndpoints(
      {
        components: {
          predictor: {
            latestReadyRevision: "r2",
            traffic: [{ revisionName: "r2", percent: 100, latestRevision: true }],
          },
        },
      },
      "predictor",
    ),
    { r2: "default" },
  );
  assert.deepEqual(revisionEndpoints({ components: { predictor: { latestReadyRevision: "r1" } } }, "predictor"), {
    r1: "default",
  });
  assert.deepEqual(
    revisionEndpoints(
      { components: { predictor: { latestReadyRevision: "r2", latestRolledoutRevision: "r1" } } },
      "predictor",
    ),
    { r1: "default" },
  );
  assert.deepEqual(revisionEndpoints({}, "predictor"), {});
});

test("a target without revisionName but latestRevision: true stands for the latest ready revision; 0% targets are ignored", () => {
  const status = {
    components: {
      predictor: {
        latestReadyRevision: "r3",
        latestRolledoutRevision: "r2",
        traffic: [
          { latestRevision: true, percent: 10 },
          { revisionName: "r2", percent: 90 },
          { revisionName: "r1", percent: 0, tag: "old" },
        ],
      },
    },
  };
  assert.deepEqual(revisionEndpoints(status, "predictor"), { r3: "canary", r2: "default" });
});
