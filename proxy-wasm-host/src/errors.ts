// Errors a host function throws to trap the VM on purpose: a call the host does
// not implement (never silently ignored) or a call made where Envoy forbids it
// (restricted mode during _initialize/_start and malloc, cpp-host src/v8/v8.cc).

export class HostTrap extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HostTrap";
  }
}

export class UnimplementedHostCall extends HostTrap {
  constructor(readonly call: string) {
    super(`proxy-wasm host call not implemented by the Node host: ${call}`);
    this.name = "UnimplementedHostCall";
  }
}

export class LoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LoadError";
  }
}
