// What a stream needs of a configuration, taken once when the stream starts,
// so that its events carry one configuration, never a mix of two.

import { Config } from "./config";
import { Templates } from "./event";
import { Redactor } from "./redact";
import { keepThreshold } from "./sampling";

export class Active {
  redactor: Redactor | null;
  // sampling.rate as the hash threshold, and sampling.header's name as bytes (null: none).
  sampleThreshold: u64;
  sampleKey: ArrayBuffer | null;

  constructor(public config: Config, public templates: Templates) {
    this.redactor = config.redactPaths.length > 0 ? new Redactor(config.redactPaths) : null;
    this.sampleThreshold = keepThreshold(config.sampleRate);
    this.sampleKey = config.sampleHeader.length > 0 ? String.UTF8.encode(config.sampleHeader) : null;
  }
}
