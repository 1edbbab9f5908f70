/**
 * A secret value (API key) that prints as `[secret]` everywhere: `String()`, template literals,
 * `JSON.stringify`, `util.inspect`/`console.log`. The raw value is read only with `reveal()`, at
 * the point of use (an auth header). Config can therefore be logged whole at startup.
 */
import { inspect } from 'node:util';
import { z } from 'zod';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}

/** zod: a non-empty string parsed into a `Secret`. */
export const secretSchema = z
  .string()
  .min(1)
  .transform((v) => new Secret(v));
