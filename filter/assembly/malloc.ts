// The module's malloc/free, called by the host to hand data over (body chunks,
// header maps, properties, callout answers). A block is an ArrayBuffer from
// __new, pinned until the filter takes it (hostcalls.ts takeHostBlock unpins
// it). __new clears the block (the incremental runtime fills every new object),
// so body bytes avoid this path: they take the hand-off below.
//
// Hand-off: for every body chunk, the filter arms a destination inside its
// capture buffer (capture.ts) just before proxy_get_buffer_bytes; the
// host's one malloc of that call then returns it, so the host writes the chunk
// straight into place — no block, no copy, no garbage.

let handOff: usize = 0;
let handOffRoom: i32 = 0;

export function armHandOff(dst: usize, room: i32): void {
  handOff = dst;
  handOffRoom = room;
}

export function disarmHandOff(): void {
  handOff = 0;
}

export function malloc(size: i32): usize {
  const dst = handOff;
  handOff = 0;
  if (dst != 0 && size <= handOffRoom) return dst;
  return __pin(__new(<usize>size, idof<ArrayBuffer>()));
}

// ABI 0.2.1's name for the allocator; hosts that look for it instead of malloc find the same function.
export function proxy_on_memory_allocate(size: i32): usize {
  return malloc(size);
}

export function free(ptr: usize): void {
  __unpin(ptr);
}
