import { writeFileSync } from 'node:fs';

/** Raw little-endian array bytes (what numpy.fromfile reads on the Python side). */
export function writeArray(path: string, values: Float32Array | Uint8Array | Float64Array): void {
  writeFileSync(path, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
}
