// Go's net/url ParseRequestURI, which Kubernetes' CEL `isURL()` and `url()` use
// (k8s.io/apiserver/pkg/cel/library/urls.go). Written from Go's documented behaviour: only
// what decides accept/reject and the parts the CEL URL accessors return.

export interface GoUrl {
  scheme: string;
  opaque: string;
  host: string;
  path: string;
  rawQuery: string;
}

export class GoUrlError extends Error {}

export function parseRequestURI(raw: string): GoUrl {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new GoUrlError("net/url: invalid control character in URL");
  if (raw === "") throw new GoUrlError("empty url");
  const u: GoUrl = { scheme: "", opaque: "", host: "", path: "", rawQuery: "" };
  if (raw === "*") {
    u.path = "*";
    return u;
  }
  const [scheme, afterScheme] = getScheme(raw);
  let rest = afterScheme;
  u.scheme = scheme.toLowerCase();
  if (rest.endsWith("?") && rest.split("?").length === 2) rest = rest.slice(0, -1);
  else {
    const q = rest.indexOf("?");
    if (q >= 0) {
      u.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith("/")) {
    if (u.scheme !== "") {
      u.opaque = rest;
      return u;
    }
    throw new GoUrlError("invalid URI for request");
  }
  if (u.scheme !== "" && rest.startsWith("//")) {
    let authority = rest.slice(2);
    rest = "";
    const slash = authority.indexOf("/");
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    u.host = parseAuthority(authority);
  }
  unescape(rest, "path");
  u.path = rest;
  return u;
}

function getScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return ["", raw];
      continue;
    }
    if (c === ":") {
      if (i === 0) throw new GoUrlError("missing protocol scheme");
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ["", raw]; // invalid character: no scheme
  }
  return ["", raw];
}

function parseAuthority(authority: string): string {
  const at = authority.lastIndexOf("@");
  const host = parseHost(at < 0 ? authority : authority.slice(at + 1));
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) throw new GoUrlError("net/url: invalid userinfo");
    unescape(userinfo, "userinfo");
  }
  return host;
}

function parseHost(host: string): string {
  if (host.startsWith("[")) {
    const i = host.lastIndexOf("]");
    if (i < 0) throw new GoUrlError("missing ']' in host");
    if (!validOptionalPort(host.slice(i + 1))) throw new GoUrlError(`invalid port "${host.slice(i + 1)}" after host`);
    return host;
  }
  const i = host.lastIndexOf(":");
  if (i >= 0 && !validOptionalPort(host.slice(i))) throw new GoUrlError(`invalid port "${host.slice(i)}" after host`);
  unescape(host, "host");
  return host;
}

function validOptionalPort(port: string): boolean {
  return port === "" || /^:[0-9]*$/.test(port);
}

// characters allowed unescaped in a host (Go's shouldEscape in encodeHost mode)
const HOST_OK = /[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]/;

function unescape(s: string, mode: "path" | "host" | "userinfo"): void {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "%") {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new GoUrlError(`invalid URL escape "${s.slice(i, i + 3)}"`);
      // in a host, %-escapes may only encode non-ASCII bytes (and %25)
      if (mode === "host" && parseInt(hex[0]!, 16) < 8 && hex !== "25")
        throw new GoUrlError(`invalid URL escape "%${hex}"`);
      i += 2;
    } else if (mode === "host" && c.charCodeAt(0) < 0x80 && !HOST_OK.test(c)) {
      throw new GoUrlError(`invalid character "${c}" in host name`);
    }
  }
}
