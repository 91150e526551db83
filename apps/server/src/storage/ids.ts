import { randomFillSync } from 'node:crypto';

/**
 * Row ids are UUIDv7 (RFC 9562): a 48-bit millisecond timestamp, then a 12-bit counter, then 62
 * random bits. Ids made later sort later, so every insert lands at the right edge of the primary-key
 * index instead of on a random page; random (v4) keys dirtied one more index page per row, and each
 * dirtied page is a 4 KB WAL frame to write and checkpoint.
 */

const RANDOM_BATCH = 4096; // bytes: 512 ids' worth of random tail per randomFillSync call
const random = Buffer.alloc(RANDOM_BATCH);
let randomOffset = RANDOM_BATCH;

let lastMs = 0;
let counter = 0; // 12 bits; keeps ids of one millisecond in creation order
const COUNTER_MAX = 0xfff;

const bytes = Buffer.alloc(16);

export function newId(): string {
  return uuidV7(Date.now());
}

/** A UUIDv7 for a clock reading `now` (ms); later calls never sort before earlier ones. */
export function uuidV7(now: number): string {
  let ms = now;
  if (ms > lastMs) {
    lastMs = ms;
    counter = nextRandomByte() & 0x3f; // a random start leaves room to count up within the ms
  } else if (counter < COUNTER_MAX) {
    ms = lastMs; // the clock stood still or went back: stay in the last ms and count on
    counter += 1;
  } else {
    lastMs += 1; // 4,096 ids in one ms: borrow the next ms rather than lose the order
    ms = lastMs;
    counter = 0;
  }
  // 48-bit big-endian timestamp (split: bitwise operators work on 32 bits)
  const high = Math.floor(ms / 0x1_0000_0000);
  const low = ms >>> 0;
  bytes[0] = (high >>> 8) & 0xff;
  bytes[1] = high & 0xff;
  bytes[2] = low >>> 24;
  bytes[3] = (low >>> 16) & 0xff;
  bytes[4] = (low >>> 8) & 0xff;
  bytes[5] = low & 0xff;
  bytes[6] = 0x70 | (counter >>> 8); // version 7
  bytes[7] = counter & 0xff;
  for (let i = 8; i < 16; i++) bytes[i] = nextRandomByte();
  bytes[8] = 0x80 | (bytes[8]! & 0x3f); // RFC 9562 variant
  return format(bytes);
}

/** The millisecond timestamp an id was made at (for tests and debugging). */
export function idTimestamp(id: string): number {
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

function nextRandomByte(): number {
  if (randomOffset === RANDOM_BATCH) {
    randomFillSync(random);
    randomOffset = 0;
  }
  return random[randomOffset++]!;
}

function format(b: Buffer): string {
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
