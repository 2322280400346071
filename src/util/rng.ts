/**
 * Seeded, splittable random numbers. Every stream is derived from (seed, stream id), so
 * sample i of a dataset gets the same numbers whether the dataset is made at once or in
 * shards, and a resumed training run continues the same sequence.
 * @module
 */

function _mix32(h: number): number {
  // murmur3 finaliser
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes a list of integers into a 32-bit seed. */
export function hashSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    h = _mix32(h ^ lo) + 0x632be5ab;
    h = _mix32(h ^ hi);
  }
  return h >>> 0;
}

/** xoshiro128** generator; its whole state is four u32 (see {@link Rng.state}). */
export class Rng {
  #s: Uint32Array;

  /** A generator for the stream (seed, ...stream). */
  constructor(seed: number, ...stream: number[]) {
    this.#s = new Uint32Array(4);
    let x = hashSeed(seed, ...stream);
    for (let i = 0; i < 4; i++) {
      // splitmix32 to fill the state
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.#s[0]! | this.#s[1]! | this.#s[2]! | this.#s[3]!) === 0) this.#s[0] = 1;
  }

  /** The generator state (to checkpoint), four u32. */
  get state(): number[] {
    return [...this.#s];
  }

  /** Restores a state from {@link Rng.state}. */
  set state(s: number[]) {
    if (s.length !== 4) {
      throw new RangeError(`Expected an RNG state of 4 numbers but found ${s.length}`);
    }
    this.#s.set(s);
  }

  /** Next uniform u32. */
  nextU32(): number {
    const s = this.#s;
    const result = Math.imul(_rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = _rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Shuffles an array in place (Fisher–Yates) and returns it. */
  shuffle<T>(a: T[] | Uint32Array | Int32Array): typeof a {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }
}

function _rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
