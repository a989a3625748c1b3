// Row-major dense matrices: the exchange format between synthetic data, trainer, metrics, drift and ONNX scoring.
// Float32 is what the model sees at serving time, so training sets are float32 by default.

export interface FeatureMatrix {
  readonly data: Float32Array | Float64Array;
  readonly rows: number;
  readonly cols: number;
}

export class MatrixShapeError extends Error {
  readonly code = 'MATRIX_SHAPE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'MatrixShapeError';
  }
}

export function createMatrix(data: Float32Array | Float64Array, rows: number, cols: number): FeatureMatrix {
  if (data.length !== rows * cols) throw new MatrixShapeError(`data length ${data.length} != ${rows}×${cols}`);
  return { data, rows, cols };
}

/** Stacks row vectors into a float32 matrix. */
export function matrixFromRows(rows: readonly ArrayLike<number>[], cols?: number): FeatureMatrix {
  const width = cols ?? (rows.length > 0 ? rows[0].length : 0);
  const data = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    if (row.length !== width) throw new MatrixShapeError(`row ${i} has ${row.length} values, expected ${width}`);
    for (let j = 0; j < width; j++) data[i * width + j] = row[j];
  });
  return { data, rows: rows.length, cols: width };
}

export function selectRows(m: FeatureMatrix, indices: ArrayLike<number>): FeatureMatrix {
  const out = m.data instanceof Float32Array ? new Float32Array(indices.length * m.cols) : new Float64Array(indices.length * m.cols);
  for (let k = 0; k < indices.length; k++) {
    const src = indices[k] * m.cols;
    out.set(m.data.subarray(src, src + m.cols), k * m.cols);
  }
  return { data: out, rows: indices.length, cols: m.cols };
}

export function selectValues<T extends Uint8Array | Float32Array | Float64Array>(values: T, indices: ArrayLike<number>): T {
  const out = new (values.constructor as new (n: number) => T)(indices.length);
  for (let k = 0; k < indices.length; k++) out[k] = values[indices[k]];
  return out;
}

export function getRow(m: FeatureMatrix, i: number): Float32Array {
  return Float32Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols));
}

export function getColumn(m: FeatureMatrix, j: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0, k = j; i < m.rows; i++, k += m.cols) out[i] = m.data[k];
  return out;
}
