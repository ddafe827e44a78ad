// RFC 3339 timestamps as Go's time.RFC3339Nano writes them in UTC (trailing
// zeros of the fraction trimmed, no fraction when it is zero), which is what
// KServe's agent puts in ce-time and ce-recordedtime.

import { ByteBuilder } from "./bytes";


// Every field goes into the builder as digits: no string per field.
export function appendRfc3339Nano(out: ByteBuilder, unixNanos: u64): void {
  const secs = <i64>(unixNanos / 1_000_000_000);
  let frac = <i64>(unixNanos % 1_000_000_000);
  let days = secs / 86400;
  const sod = secs % 86400;
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  days += 719468;
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
  out.decimal(<u64>m, 2);
  out.byte(0x2d);
  out.decimal(<u64>d, 2);
  out.byte(0x54);
  out.decimal(<u64>(sod / 3600), 2);
  out.byte(0x3a);
  out.decimal(<u64>((sod % 3600) / 60), 2);
  out.byte(0x3a);
  out.decimal(<u64>(sod % 60), 2);
  if (frac != 0) {
    let digits = 9;
    while (frac % 10 == 0) { frac /= 10; digits--; }
    out.byte(0x2e);
    out.decimal(<u64>frac, digits);
  }
  out.byte(0x5a);
}
