// Child process of the loopback benchmark: the sample model server and the
// CloudEvents sink, off the sidecar's process so that their work is not
// counted against it. Prints {"model": url, "sink": "host:port"} on stdout and
// runs until stdin closes. Recorded requests and events are dropped every
// second (the benchmark only needs the sink to answer); a line "count" on stdin
// is answered with {"events": N}, the events received so far.

import { ModelServer } from "../testbed/model-server.js";
import { CloudEventSink } from "../testbed/sink.js";

const model = await ModelServer.start();
const sink = await CloudEventSink.start();
let dropped = 0;
const timer = setInterval(() => {
  model.requests.length = 0;
  dropped += sink.events.length;
  sink.events.length = 0;
}, 1000);
process.stdout.write(JSON.stringify({ model: model.url, sink: sink.address }) + "\n");
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d: string) => {
  for (const line of d.split("\n")) {
    if (line.trim() === "count") process.stdout.write(JSON.stringify({ events: dropped + sink.events.length }) + "\n");
  }
});
process.stdin.on("end", () => {
  clearInterval(timer);
  void Promise.all([model.close(), sink.close()]).then(() => process.exit(0));
});
