// Event ids: a random UUID v4 (as KServe's agent makes with uuid.New) from
// WASI random_get — Math.random would import env.seed, which Envoy lacks.

import { ByteBuilder } from "./bytes";
import { randomBytes } from "./hostcalls";

const RAND = memory.data(16);
const HEX = "0123456789abcdef";
let fallbackCounter: u64 = 0;

export function appendUuidV4(out: ByteBuilder, nowNanos: u64): void {
  if (!randomBytes(RAND, 16)) {
    // Still unique within this VM if the host refuses randomness.
    fallbackCounter++;
    store<u64>(RAND, nowNanos);
    store<u64>(RAND + 8, fallbackCounter);
  }
  store<u8>(RAND + 6, (load<u8>(RAND + 6) & 0x0f) | 0x40);
  store<u8>(RAND + 8, (load<u8>(RAND + 8) & 0x3f) | 0x80);
  for (let i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.byte(0x2d);
    const b = load<u8>(RAND + <usize>i);
    out.byte(<u8>HEX.charCodeAt(b >> 4));
    out.byte(<u8>HEX.charCodeAt(b & 0xf));
  }
}
