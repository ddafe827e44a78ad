// The callout client's HTTP/1.1 (src/http1.ts) against real sockets: keep-alive reuse per
// cluster, chunked answers with trailers, read-to-close bodies, Connection: close, a server
// that closes an idle connection, and the bytes of the request head as the module wrote them.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { CalloutClient, type CalloutOutcome } from "../src/callouts.js";
import { HeaderMap } from "../src/header-map.js";
import type { HttpCallRequest } from "../src/vm.js";

/** A raw TCP server: each request's bytes go to `answer`, which writes the response. */
async function rawServer(
  answer: (socket: net.Socket, request: string, n: number) => void,
): Promise<{ port: number; connections: () => number; requests: string[]; close(): Promise<void> }> {
  let connections = 0;
  let n = 0;
  const requests: string[] = [];
  const server = net.createServer((socket) => {
    connections++;
    let buf = "";
    socket.on("data", (d) => {
      buf += d.toString("latin1");
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buf.slice(0, end + 4);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const one = buf.slice(0, end + 4 + len);
        buf = buf.slice(end + 4 + len);
        requests.push(one);
        answer(socket, one, n++);
      }
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function request(body = "event", extra: [string, string][] = []): HttpCallRequest {
  return {
    cluster: "sink",
    headers: HeaderMap.from([
      [":method", "POST"],
      [":path", "/events"],
      [":authority", "sink.models"],
      ["ce-id", "a b\u00e9"],
      ...extra,
    ]),
    body: Buffer.from(body, "latin1"),
    trailers: new HeaderMap(),
    timeoutMs: 5000,
  };
}

function send(client: CalloutClient, port: number, req = request()): Promise<CalloutOutcome> {
  return new Promise((resolve) => client.send({ host: "127.0.0.1", port }, req, resolve));
}

test("sequential callouts to one cluster share one keep-alive connection; the head carries the module's bytes", async () => {
  const s = await rawServer((socket) => socket.write("HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n"));
  const client = new CalloutClient();
  try {
    for (let i = 0; i < 5; i++) {
      const o = await send(client, s.port);
      assert.equal(o.response?.headers.get(":status"), "202");
    }
    assert.equal(s.connections(), 1, "one connection for five callouts");
    assert.equal(
      s.requests[0],
      // é as the UTF-8 bytes C3 A9, unchanged (read back here as latin1)
      "POST /events HTTP/1.1\r\nhost: sink.models\r\nce-id: a b\u00c3\u00a9\r\ncontent-length: 5\r\n\r\nevent",
    );
  } finally {
    client.close();
    await s.close();
  }
});

test("a chunked answer is joined and its trailers kept; Connection: close makes the next callout connect again", async () => {
  const s = await rawServer((socket, _r, n) => {
    if (n === 0)
      socket.write(
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nx-t: 1\r\n\r\n",
      );
    else socket.end("HTTP/1.1 503 Busy\r\nconnection: close\r\ncontent-length: 4\r\n\r\nbusy");
  });
  const client = new CalloutClient();
  try {
    const a = await send(client, s.port);
    assert.equal(a.response?.body.toString(), "abcde");
    assert.equal(a.response?.trailers?.get("x-t"), "1");
    const b = await send(client, s.port);
    assert.equal(b.response?.headers.get(":status"), "503");
    assert.equal(b.response?.body.toString(), "busy");
    const c = await send(client, s.port);
    assert.equal(c.response?.headers.get(":status"), "503");
    assert.equal(s.connections(), 2, "the closed connection was not reused");
  } finally {
    client.close();
    await s.close();
  }
});

test("a body without length is read to the connection's end; an idle connection the server closed is not reused", async () => {
  const s = await rawServer((socket, _r, n) => {
    if (n === 0) socket.end("HTTP/1.0 200 OK\r\n\r\nuntil close");
    else {
      socket.write("HTTP/1.1 204 No Content\r\n\r\n");
      setTimeout(() => socket.end(), 20); // the server times the idle connection out
    }
  });
  const client = new CalloutClient();
  try {
    const a = await send(client, s.port);
    assert.equal(a.response?.body.toString(), "until close");
    const b = await send(client, s.port);
    assert.equal(b.response?.headers.get(":status"), "204");
    await new Promise((r) => setTimeout(r, 100));
    const c = await send(client, s.port);
    assert.equal(c.response?.headers.get(":status"), "204");
    assert.equal(s.connections(), 3);
  } finally {
    client.close();
    await s.close();
  }
});

test("an answer cut off mid-body is a reset; a malformed status line before any head is Envoy's 503", async () => {
  const s = await rawServer((socket, _r, n) => {
    if (n === 0) socket.end("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
    else socket.end("SPDY/9 nonsense\r\n\r\n");
  });
  const client = new CalloutClient();
  try {
    const a = await send(client, s.port);
    assert.equal(a.response, null);
    const b = await send(client, s.port);
    assert.equal(b.response?.headers.get(":status"), "503");
    assert.match(b.response?.body.toString() ?? "", /connection termination/);
  } finally {
    client.close();
    await s.close();
  }
});
