// The module's malloc/free, called by the host to hand data over (body chunks,
// header maps, properties, callout answers). The host overwrites every byte of
// the block at once, so it is not zero-filled first: the SDK's malloc
// (new ArrayBuffer(size)) clears each block, one extra pass over every body
// byte the filter captures. The block is an ArrayBuffer, pinned until the
// filter takes it (hostcalls.ts takeHostBlock unpins it).

export function malloc(size: i32): usize {
  return __pin(__new(<usize>size, idof<ArrayBuffer>()));
}

export function free(ptr: usize): void {
  __unpin(ptr);
}
