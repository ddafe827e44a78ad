// What a stream needs of a configuration, taken once when the stream starts,
// so that its events carry one configuration, never a mix of two.

import { Config } from "./config";
import { Templates } from "./event";
import { Redactor } from "./redact";

export class Active {
  redactor: Redactor | null;

  constructor(public config: Config, public templates: Templates) {
    this.redactor = config.redactPaths.length > 0 ? new Redactor(config.redactPaths) : null;
  }
}
