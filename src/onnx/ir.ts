/**
 * TLC's typed in-memory ONNX model. Plain data: values are referred to by name, as in ONNX, and
 * `indexGraph` (graph-index.ts) answers producer/consumer questions. Passes treat these objects as
 * immutable and return new ones; tensor data is shared between copies and never written in place.
 *
 * What TLC does not model (functions, training info, device configurations, quantization annotations,
 * node sharding specs) is kept as the decoded protobuf message in an `Opaque` slot and written back as is.
 */
import type { DataType } from './dtype.js';

/** A protobuf message TLC carries through untouched. */
export interface Opaque {
  readonly __opaque: 'onnx-message';
}

export type Metadata = ReadonlyMap<string, string>;

/** Element storage per type: see dtype.ts. Strings are raw bytes so that non-UTF-8 data survives. */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | readonly Uint8Array[];

export interface Tensor {
  readonly name: string;
  readonly dataType: DataType;
  readonly dims: readonly number[];
  readonly data: TensorData;
  readonly docString?: string;
  readonly metadata?: Metadata;
}

export interface SparseTensor {
  /** 1-D tensor of the non-zero values; its name is the sparse tensor's name. */
  readonly values: Tensor;
  /** int64 indices: [nnz] linear or [nnz, rank] coordinates. */
  readonly indices: Tensor;
  readonly dims: readonly number[];
}

/** A dimension: a fixed size, a symbolic name, or unknown (null). */
export type Dim = number | string | null;

export type TypeInfo =
  | {
      readonly kind: 'tensor' | 'sparse_tensor';
      readonly elemType: DataType;
      /** undefined: rank unknown. */
      readonly shape?: readonly Dim[];
      readonly dimDenotations?: readonly (string | undefined)[];
      readonly denotation?: string;
    }
  | { readonly kind: 'sequence' | 'optional'; readonly elem?: TypeInfo; readonly denotation?: string }
  | {
      readonly kind: 'map';
      readonly keyType: DataType;
      readonly value?: TypeInfo;
      readonly denotation?: string;
    }
  | {
      readonly kind: 'opaque';
      readonly domain?: string;
      readonly name?: string;
      readonly denotation?: string;
    }
  | { readonly kind: 'none'; readonly denotation?: string };

export interface ValueInfo {
  readonly name: string;
  readonly type?: TypeInfo;
  readonly docString?: string;
  readonly metadata?: Metadata;
}

/** Attribute values with explicit ONNX types (never guessed from the JavaScript value). */
export type AttributeValue =
  | { readonly type: 'FLOAT'; readonly value: number }
  | { readonly type: 'INT'; readonly value: bigint }
  | { readonly type: 'STRING'; readonly value: Uint8Array }
  | { readonly type: 'TENSOR'; readonly value: Tensor }
  | { readonly type: 'GRAPH'; readonly value: Graph }
  | { readonly type: 'SPARSE_TENSOR'; readonly value: SparseTensor }
  | { readonly type: 'TYPE_PROTO'; readonly value: TypeInfo }
  | { readonly type: 'FLOATS'; readonly value: readonly number[] }
  | { readonly type: 'INTS'; readonly value: readonly bigint[] }
  | { readonly type: 'STRINGS'; readonly value: readonly Uint8Array[] }
  | { readonly type: 'TENSORS'; readonly value: readonly Tensor[] }
  | { readonly type: 'GRAPHS'; readonly value: readonly Graph[] }
  | { readonly type: 'SPARSE_TENSORS'; readonly value: readonly SparseTensor[] }
  | { readonly type: 'TYPE_PROTOS'; readonly value: readonly TypeInfo[] }
  /** A reference to an attribute of the enclosing function (only valid inside functions). */
  | { readonly type: 'REF'; readonly refAttrName: string; readonly refType: number };

export type AttributeType = AttributeValue['type'];

export type Attribute = AttributeValue & { readonly docString?: string };

export type Attributes = Readonly<Record<string, Attribute>>;

export interface Node {
  readonly name: string;
  readonly opType: string;
  /** '' is the default ONNX domain (ai.onnx). */
  readonly domain: string;
  /** '' marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Attributes;
  readonly docString?: string;
  readonly overload?: string;
  readonly metadata?: Metadata;
  readonly deviceConfigurations?: readonly Opaque[];
}

export interface Graph {
  readonly name: string;
  readonly nodes: readonly Node[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly valueInfo: readonly ValueInfo[];
  /** Insertion-ordered by name. */
  readonly initializers: ReadonlyMap<string, Tensor>;
  readonly sparseInitializers: readonly SparseTensor[];
  readonly docString?: string;
  readonly metadata?: Metadata;
  readonly quantizationAnnotation?: readonly Opaque[];
}

export interface Model {
  readonly irVersion: number;
  /** domain → version, in file order; '' is the default domain. */
  readonly opsetImports: ReadonlyMap<string, number>;
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly domain?: string;
  readonly modelVersion?: bigint;
  readonly docString?: string;
  readonly graph: Graph;
  readonly metadata?: Metadata;
  readonly functions?: readonly Opaque[];
  readonly trainingInfo?: readonly Opaque[];
  readonly configuration?: readonly Opaque[];
}

/** Current IR version TLC writes for new models (ONNX 1.16+; needed for INT4/UINT4). */
export const DEFAULT_IR_VERSION = 10;
