// The one rule for names that carry credentials, shared by the filter (its
// check of metadataHeaders, compiled by AssemblyScript) and the installer (its
// checks of metadataAnnotations keys and header names, compiled by TypeScript).
// The file is written in the subset both compilers accept: strings, arrays,
// loops over char codes, no regular expressions, no library calls beyond them.
//
// A name is split into tokens at every character that is not a letter or digit
// and at lower→upper case changes ("X-Forwarded-Authorization" → x, forwarded,
// authorization; "apiKey" → api, key), so a credential word is caught in any
// position while words that merely contain one ("author") are not.
// Documented in docs/plugin-config.md (metadataHeaders) and installer/README.md.

// A token that names a credential by itself.
export const SENSITIVE_TOKENS: string[] = [
  "authorization", "auth", "oauth", "bearer", "cookie", "token", "secret", "password", "passwd", "pwd", "passphrase",
  "apikey", "jwt", "dsn", "credential", "credentials", "session", "csrf", "xsrf", "privatekey", "sshkey", "accesskey",
  "secretkey",
];

// A token that ends in one of these names a credential too, written as one word
// ("dbpassword", "accesstoken", "clientsecret"); prefixes are not matched, so
// "tokenizer" and "authored" stay harmless.
export const SENSITIVE_SUFFIXES: string[] = [
  "password", "passwd", "passphrase", "secret", "token", "credential", "credentials", "cookie", "apikey", "authorization",
];

// Two adjacent tokens that name a credential together ("api-key", "aws_access_key_id").
export const SENSITIVE_PAIRS: string[][] = [
  ["api", "key"], ["private", "key"], ["ssh", "key"], ["access", "key"], ["secret", "key"], ["client", "cert"],
];

function isLower(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}

function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}

function isDigitCode(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

// The lower-case tokens of a name.
export function nameTokens(name: string): string[] {
  const tokens: string[] = [];
  let cur = "";
  let prev = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const alnum = isLower(c) || isUpper(c) || isDigitCode(c);
    if (!alnum) {
      if (cur.length > 0) tokens.push(cur);
      cur = "";
      prev = c;
      continue;
    }
    // "apiKey" | "XApiKey": a capital after a small letter or digit, or a capital before a small letter after a capital.
    let split = isUpper(c) && (isLower(prev) || isDigitCode(prev));
    if (!split && isUpper(c) && isUpper(prev) && i + 1 < name.length && isLower(name.charCodeAt(i + 1))) split = true;
    if (split && cur.length > 0) {
      tokens.push(cur);
      cur = "";
    }
    cur += String.fromCharCode(isUpper(c) ? c + 0x20 : c);
    prev = c;
  }
  if (cur.length > 0) tokens.push(cur);
  return tokens;
}

// True when a header name or annotation key names a credential.
export function isSensitiveName(name: string): boolean {
  const t = nameTokens(name);
  for (let i = 0; i < t.length; i++) {
    if (SENSITIVE_TOKENS.includes(t[i])) return true;
    for (let j = 0; j < SENSITIVE_SUFFIXES.length; j++) if (t[i].endsWith(SENSITIVE_SUFFIXES[j])) return true;
    if (i + 1 < t.length) {
      for (let j = 0; j < SENSITIVE_PAIRS.length; j++) {
        if (SENSITIVE_PAIRS[j][0] == t[i] && SENSITIVE_PAIRS[j][1] == t[i + 1]) return true;
      }
    }
  }
  return false;
}
