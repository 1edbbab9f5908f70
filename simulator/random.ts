/**
 * Stateless, deterministic hashing for the simulators' synthetic series, and the smooth price paths
 * (multi-octave value noise) built on it. Every value a simulator serves is derived from a hash of
 * its coordinates (series seed, period index, salt), so any single value can be computed in O(1)
 * without generating its predecessors, and the same coordinates give the same value on every run
 * and every platform (integer hashing; no Math.random).
 */

/** Final avalanche of MurmurHash3 (fmix32). */
export function mix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** 32-bit FNV-1a over UTF-16 code units, then avalanched. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** Combines two 32-bit hashes (order matters). */
export function combine(a: number, b: number): number {
  return mix32((a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b)) >>> 0);
}

/**
 * Hash of (seed, n, salt) where `n` is any safe integer (period indexes, lattice points, timestamps)
 * and `salt` names the quantity being drawn (so different quantities of the same period are independent).
 */
export function hashAt(seed: number, n: number, salt: number): number {
  const lo = n >>> 0;
  const hi = Math.floor(n / 4294967296) >>> 0;
  let h = mix32((seed ^ Math.imul(salt + 0x7f4a7c15, 0x9e3779b1)) >>> 0);
  h = mix32((h ^ lo) >>> 0);
  h = mix32((h + Math.imul(hi ^ 0x632be5ab, 0x85ebca6b)) >>> 0);
  return h;
}

/** A hash mapped to [0, 1). */
export function unit(h: number): number {
  return h / 4294967296;
}

/** Uniform [0, 1) drawn from (seed, n, salt). */
export function uniformAt(seed: number, n: number, salt: number): number {
  return unit(hashAt(seed, n, salt));
}

/** Uniform integer in [min, max] (inclusive) drawn from (seed, n, salt). */
export function intAt(seed: number, n: number, salt: number, min: number, max: number): number {
  return min + Math.floor(uniformAt(seed, n, salt) * (max - min + 1));
}

/** Octaves of an asset's log-price path: [period in seconds, amplitude]. */
const OCTAVES: ReadonlyArray<readonly [number, number]> = [
  [31_536_000, 0.55],
  [7_776_000, 0.3],
  [2_592_000, 0.18],
  [604_800, 0.09],
  [86_400, 0.045],
  [14_400, 0.02],
  [3_600, 0.01],
  [900, 0.005],
  [180, 0.0025],
  [30, 0.0012],
];

/** Smooth value noise in [-1, 1] at coordinate u (lattice every 1.0). */
export function valueNoise(seed: number, salt: number, u: number): number {
  const n = Math.floor(u);
  const f = u - n;
  const s = f * f * (3 - 2 * f);
  const a = uniformAt(seed, n, salt) * 2 - 1;
  const b = uniformAt(seed, n + 1, salt) * 2 - 1;
  return a + (b - a) * s;
}

/**
 * An asset's log-price deviation from its centre price at Unix second t (about ±1.2 at most):
 * multi-octave value noise, random-access in t.
 */
export function logPath(seed: number, t: number): number {
  let x = 0;
  let salt = 0;
  for (const [period, amplitude] of OCTAVES) x += amplitude * valueNoise(seed, salt++, t / period);
  return x;
}
