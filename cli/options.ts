import { InvalidArgumentError } from 'commander';

/** commander option parsers that explain what they expected. */
export function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}, got "${value}".`);
    return n;
  };
}

export function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got "${value}".`);
    return n;
  };
}

export function commaList(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter(Boolean);
}

/** A parser from a function that throws on bad input: its message becomes commander's "invalid argument" line. */
export function parsedBy<T>(parse: (value: string) => T) {
  return (value: string): T => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}
