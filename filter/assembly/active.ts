// What a stream needs of a configuration, taken once when the stream starts,
// so that its events carry one configuration, never a mix of two.

import { Config } from "./config";
import { Templates } from "./event";

export class Active {
  constructor(public config: Config, public templates: Templates) {}
}
