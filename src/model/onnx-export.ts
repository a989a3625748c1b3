// Serializes a trained model to ONNX so serving needs only onnxruntime, never the training code.
// Graph (opset 13, IR 7):
//   features[N,F] ─Sub(mean)─Div(std)─► z ─Mul(coef)──────────► contributions[N,F]   (reason codes)
//                                        └─MatMul(coef[F,1])─Add(b)─Sigmoid─► probability[N,1]
// Standardization is baked in, so the serving input is the raw feature vector of the spec. Export is deterministic
// (no timestamps unless given) so the same model always has the same sha256.

import { createHash } from 'node:crypto';
import { onnx } from 'onnx-proto';
import { ModelArtifactError } from './errors';
import type { TrainedModel } from './train';

export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 7;
export const ONNX_INPUT_NAME = 'features';
export const ONNX_OUTPUT_PROBABILITY = 'probability';
export const ONNX_OUTPUT_CONTRIBUTIONS = 'contributions';

/** metadata_props keys written on every artifact. */
export const METADATA_KEYS = {
  modelName: 'mainspring.model_name',
  modelVersion: 'mainspring.model_version',
  family: 'mainspring.family',
  featureSpecVersion: 'mainspring.feature_spec_version',
  featureNames: 'mainspring.feature_names',
  trainedAt: 'mainspring.trained_at',
} as const;

export interface OnnxExportOptions {
  modelName: string;
  modelVersion: string;
  /** ISO time, recorded only when given (keeps the bytes reproducible otherwise). */
  trainedAt?: string;
  producerVersion?: string;
}

export interface OnnxArtifact {
  bytes: Uint8Array;
  sha256: string;
}

export interface OnnxModelMetadata {
  modelName: string;
  modelVersion: string;
  family: string;
  featureSpecVersion: string;
  featureNames: string[];
  trainedAt?: string;
  opset: number;
  inputName: string;
  outputNames: string[];
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function floatTensor(name: string, dims: number[], values: readonly number[]): onnx.ITensorProto {
  return { name, dataType: FLOAT, dims, floatData: values.map((v) => Math.fround(v)) };
}

function valueInfo(name: string, dims: (number | string)[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function node(opType: string, inputs: string[], outputs: string[]): onnx.INodeProto {
  return { opType, input: inputs, output: outputs, name: `${opType.toLowerCase()}_${outputs[0]}` };
}

/** Builds the ONNX bytes and their sha256 for a trained model. */
export function exportOnnx(model: TrainedModel, options: OnnxExportOptions): OnnxArtifact {
  const f = model.coef.length;
  if (model.mean.length !== f || model.std.length !== f || model.featureNames.length !== f) {
    throw new ModelArtifactError('MODEL_ARTIFACT_INVALID', `inconsistent model: ${f} coefficients, ${model.featureNames.length} names`);
  }
  const graph: onnx.IGraphProto = {
    name: `${options.modelName}-${options.modelVersion}`,
    input: [valueInfo(ONNX_INPUT_NAME, ['N', f])],
    output: [valueInfo(ONNX_OUTPUT_PROBABILITY, ['N', 1]), valueInfo(ONNX_OUTPUT_CONTRIBUTIONS, ['N', f])],
    initializer: [
      floatTensor('mean', [f], model.mean),
      floatTensor('std', [f], model.std),
      floatTensor('coef_row', [f], model.coef),
      floatTensor('coef_col', [f, 1], model.coef),
      floatTensor('intercept', [1], [model.intercept]),
    ],
    node: [
      node('Sub', [ONNX_INPUT_NAME, 'mean'], ['centered']),
      node('Div', ['centered', 'std'], ['standardized']),
      node('Mul', ['standardized', 'coef_row'], [ONNX_OUTPUT_CONTRIBUTIONS]),
      node('MatMul', ['standardized', 'coef_col'], ['logit_raw']),
      node('Add', ['logit_raw', 'intercept'], ['logit']),
      node('Sigmoid', ['logit'], [ONNX_OUTPUT_PROBABILITY]),
    ],
  };
  const metadata: [string, string][] = [
    [METADATA_KEYS.modelName, options.modelName],
    [METADATA_KEYS.modelVersion, options.modelVersion],
    [METADATA_KEYS.family, model.family],
    [METADATA_KEYS.featureSpecVersion, model.featureSpecVersion],
    [METADATA_KEYS.featureNames, JSON.stringify(model.featureNames)],
  ];
  if (options.trainedAt !== undefined) metadata.push([METADATA_KEYS.trainedAt, options.trainedAt]);
  const proto: onnx.IModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'mainspring',
    producerVersion: options.producerVersion ?? '0.1.0',
    domain: 'dev.mainspring',
    docString: `${model.family} fraud model ${options.modelName}@${options.modelVersion}; inputs follow feature spec ${model.featureSpecVersion}`,
    graph,
    metadataProps: metadata.map(([key, value]) => ({ key, value })),
  };
  const bytes = onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
  // protobufjs may hand back a view on a pooled buffer; copy so the artifact owns exactly its bytes.
  const owned = new Uint8Array(bytes);
  return { bytes: owned, sha256: sha256Hex(owned) };
}

/**
 * Decodes an artifact's metadata without running it. Throws ModelArtifactError: MODEL_ARTIFACT_CORRUPT when the bytes
 * do not decode, MODEL_ARTIFACT_INVALID when they are not a model of this exporter's contract.
 */
export function readOnnxMetadata(bytes: Uint8Array): OnnxModelMetadata {
  let proto: onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new ModelArtifactError('MODEL_ARTIFACT_CORRUPT', 'artifact is not a decodable ONNX model', { cause: err });
  }
  const props = new Map(proto.metadataProps.map((p) => [p.key, p.value]));
  const get = (key: string): string => {
    const v = props.get(key);
    if (v === undefined || v === null || v === '') throw new ModelArtifactError('MODEL_ARTIFACT_INVALID', `artifact metadata lacks ${key}`);
    return v;
  };
  let featureNames: unknown;
  try {
    featureNames = JSON.parse(get(METADATA_KEYS.featureNames));
  } catch (err) {
    if (err instanceof ModelArtifactError) throw err;
    throw new ModelArtifactError('MODEL_ARTIFACT_INVALID', 'artifact feature names are not JSON', { cause: err });
  }
  if (!Array.isArray(featureNames) || !featureNames.every((n): n is string => typeof n === 'string')) {
    throw new ModelArtifactError('MODEL_ARTIFACT_INVALID', 'artifact feature names must be a string array');
  }
  const graph = proto.graph;
  const inputName = graph?.input?.[0]?.name ?? '';
  const outputNames = (graph?.output ?? []).map((o) => o.name ?? '');
  if (inputName !== ONNX_INPUT_NAME || !outputNames.includes(ONNX_OUTPUT_PROBABILITY) || !outputNames.includes(ONNX_OUTPUT_CONTRIBUTIONS)) {
    throw new ModelArtifactError('MODEL_ARTIFACT_INVALID', `artifact graph must take "${ONNX_INPUT_NAME}" and produce "${ONNX_OUTPUT_PROBABILITY}" and "${ONNX_OUTPUT_CONTRIBUTIONS}"`);
  }
  const opset = proto.opsetImport.find((o) => !o.domain)?.version;
  const trainedAt = props.get(METADATA_KEYS.trainedAt);
  return {
    modelName: get(METADATA_KEYS.modelName),
    modelVersion: get(METADATA_KEYS.modelVersion),
    family: get(METADATA_KEYS.family),
    featureSpecVersion: get(METADATA_KEYS.featureSpecVersion),
    featureNames,
    ...(trainedAt ? { trainedAt } : {}),
    opset: Number(opset ?? 0),
    inputName,
    outputNames,
  };
}
