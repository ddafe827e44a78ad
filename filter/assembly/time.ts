// RFC 3339 timestamps as Go's time.RFC3339Nano writes them in UTC (trailing
// zeros of the fraction trimmed, no fraction when it is zero), which is what
// KServe's agent puts in ce-time and ce-recordedtime.

import { ByteBuilder } from "./bytes";


// The date part ("YYYY-MM-DD") changes once a day: it is computed when the day
// changes and copied otherwise; the rest is written with one bounds check.
let cachedDay: i64 = -1;
const dayText = new ByteBuilder(16);

// The last time written, as text: a response event's ce-time and ce-recordedtime are one clock read.
let lastNanos: u64 = 0;
let lastText = new ByteBuilder(40);

export function appendRfc3339Nano(out: ByteBuilder, unixNanos: u64): void {
  if (unixNanos == lastNanos && lastText.len > 0) {
    out.bytes(lastText.ptr, lastText.len);
    return;
  }
  const start = out.len;
  formatRfc3339Nano(out, unixNanos);
  lastNanos = unixNanos;
  lastText.reset();
  lastText.bytes(out.ptr + <usize>start, out.len - start);
}

function formatRfc3339Nano(out: ByteBuilder, unixNanos: u64): void {
  const secs = <i64>(unixNanos / 1_000_000_000);
  const frac = <u32>(unixNanos % 1_000_000_000);
  const day = secs / 86400;
  const sod = <u32>(secs % 86400);
  if (day != cachedDay) {
    dayText.reset();
    appendCivilDate(dayText, day);
    cachedDay = day;
  }
  out.bytes(dayText.ptr, dayText.len);
  out.ensure(21); // "THH:MM:SS" ".nnnnnnnnn" "Z"
  const p = out.ptr + <usize>out.len;
  const h = sod / 3600, m = (sod % 3600) / 60, sec = sod % 60;
  store<u8>(p, 0x54);
  store<u8>(p + 1, <u8>(0x30 + h / 10));
  store<u8>(p + 2, <u8>(0x30 + h % 10));
  store<u8>(p + 3, 0x3a);
  store<u8>(p + 4, <u8>(0x30 + m / 10));
  store<u8>(p + 5, <u8>(0x30 + m % 10));
  store<u8>(p + 6, 0x3a);
  store<u8>(p + 7, <u8>(0x30 + sec / 10));
  store<u8>(p + 8, <u8>(0x30 + sec % 10));
  let n: usize = 9;
  if (frac != 0) {
    // Nine digits, then the trailing zeros trimmed (Go's RFC3339Nano).
    store<u8>(p + 9, 0x2e);
    let f = frac;
    for (let i: usize = 9; i >= 1; i--) {
      store<u8>(p + 9 + i, <u8>(0x30 + f % 10));
      f /= 10;
    }
    let digits: usize = 9;
    while (load<u8>(p + 9 + digits) == 0x30) digits--;
    n = 10 + digits;
  }
  store<u8>(p + n, 0x5a);
  out.len += <i32>(n + 1);
}

// Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
function appendCivilDate(out: ByteBuilder, daysSinceEpoch: i64): void {
  const days = daysSinceEpoch + 719468;
  const era = days / 146097;
  const doe = days - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  let y = yoe + era * 400;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const d = doy - (153 * mp + 2) / 5 + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y += 1;
  out.decimal(<u64>y, 4);
  out.byte(0x2d);
  out.digits2(<u32>m);
  out.byte(0x2d);
  out.digits2(<u32>d);
}
