/**
 * AttributeProto <-> Attribute, Constant nodes -> tensors, and ValueInfoProto <-> ValueInfo.
 */
import { onnx } from 'onnx-proto';
import { NpuqError } from '../../errors';
import { Attribute, Dim, Graph, ValueInfo } from '../../ir/graph';
import { dtypeFromOnnx, ONNX_DTYPE_CODE, Tensor } from '../../ir/tensor';
import { LongLike, longToBigInt, longToNumber, numberToLong } from './int64';
import { onnxTypeName, protoToTensor, TensorContext, tensorToProto } from './tensor-proto';

const T = onnx.AttributeProto.AttributeType;

function own(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key) && (o as Record<string, unknown>)[key] != null;
}

/** The attribute's type; for protos written without `type` (very old exporters) inferred from the field set. */
function attributeType(a: onnx.IAttributeProto): number {
  if (a.type) return a.type;
  if (own(a, 'f')) return T.FLOAT;
  if (own(a, 'i')) return T.INT;
  if (own(a, 's')) return T.STRING;
  if (own(a, 't')) return T.TENSOR;
  if (own(a, 'g')) return T.GRAPH;
  if (own(a, 'sparseTensor')) return T.SPARSE_TENSOR;
  if (own(a, 'tp')) return T.TYPE_PROTO;
  if (a.floats?.length) return T.FLOATS;
  if (a.ints?.length) return T.INTS;
  if (a.strings?.length) return T.STRINGS;
  if (a.tensors?.length) return T.TENSORS;
  if (a.graphs?.length) return T.GRAPHS;
  if (a.sparseTensors?.length) return T.SPARSE_TENSORS;
  if (a.typeProtos?.length) return T.TYPE_PROTOS;
  return T.UNDEFINED;
}

const utf8 = new TextDecoder();

/**
 * Converts one AttributeProto. GRAPH(S), SPARSE_TENSOR(S), TYPE_PROTO(S), TENSORS and
 * function-reference attributes become `{ kind: 'unsupported', type }`. `where` names the node.
 */
export function attributeFromProto(a: onnx.IAttributeProto, where: string, ctx: TensorContext): Attribute {
  const type = attributeType(a);
  if (a.refAttrName) return { kind: 'unsupported', type };
  switch (type) {
    case T.FLOAT: return { kind: 'float', value: a.f ?? 0 };
    case T.INT: return { kind: 'int', value: longToNumber(a.i as LongLike) };
    case T.STRING: return { kind: 'string', value: utf8.decode(a.s ?? new Uint8Array(0)) };
    case T.FLOATS: return { kind: 'floats', value: (a.floats ?? []).slice() };
    case T.INTS: return { kind: 'ints', value: (a.ints ?? []).map((v) => longToNumber(v as LongLike)) };
    case T.STRINGS: return { kind: 'strings', value: (a.strings ?? []).map((b) => utf8.decode(b)) };
    case T.TENSOR:
      if (!a.t) throw new NpuqError(ctx.code, `Attribute "${a.name}" of ${where} in ${ctx.label} is of type TENSOR but holds no tensor`, { file: ctx.file });
      return { kind: 'tensor', value: protoToTensor(a.t, ctx, `The tensor of attribute "${a.name}" of ${where}`) };
    case T.UNDEFINED:
      throw new NpuqError(ctx.code, `Attribute "${a.name}" of ${where} in ${ctx.label} has no type and no value`, { file: ctx.file });
    default:
      return { kind: 'unsupported', type };
  }
}

/**
 * The value of a Constant node (value, value_float(s), value_int(s), value_string(s)) as a tensor:
 * value_float → float32 scalar, value_floats → float32 [n], value_int → int64 scalar, value_ints →
 * int64 [n], value_string → string scalar, value_strings → string [n]. sparse_value is UNSUPPORTED.
 */
export function constantValue(n: onnx.INodeProto, where: string, ctx: TensorContext): Tensor {
  const attrs = n.attribute ?? [];
  if (attrs.length !== 1) {
    throw new NpuqError(ctx.code, `${where} in ${ctx.label} must have exactly one value attribute but has ${attrs.length}${attrs.length ? ` (${attrs.map((a) => a.name).join(', ')})` : ''}`, { file: ctx.file });
  }
  const a = attrs[0];
  if (a.name === 'sparse_value') {
    throw new NpuqError('UNSUPPORTED', `${where} in ${ctx.label} holds a sparse tensor (sparse_value), which npuquant does not handle; densify it first`, { file: ctx.file });
  }
  const v = attributeFromProto(a, where, ctx);
  const expect: Record<string, Attribute['kind']> = {
    value: 'tensor', value_float: 'float', value_floats: 'floats', value_int: 'int', value_ints: 'ints',
    value_string: 'string', value_strings: 'strings',
  };
  const want = a.name === undefined || a.name === null ? undefined : expect[a.name];
  if (want === undefined || v.kind !== want) {
    throw new NpuqError(ctx.code, `${where} in ${ctx.label} has attribute "${a.name}" of kind ${v.kind}; a Constant needs one of value, value_float(s), value_int(s), value_string(s)`, { file: ctx.file });
  }
  switch (v.kind) {
    case 'tensor': return v.value;
    case 'float': return Tensor.fromNumbers('float32', [], [v.value]);
    case 'floats': return Tensor.fromNumbers('float32', [v.value.length], v.value);
    case 'int': return new Tensor('int64', [], BigInt64Array.from([longToBigInt(a.i as LongLike, false)]));
    case 'ints': {
      const ints = (a.ints ?? []) as LongLike[];
      return new Tensor('int64', [ints.length], BigInt64Array.from(ints, (x) => longToBigInt(x, false)));
    }
    case 'string': return new Tensor('string', [], [v.value]);
    case 'strings': return new Tensor('string', [v.value.length], v.value.slice());
    default: throw new Error('unreachable');
  }
}

/**
 * Converts an Attribute for saving. `where` names the node in messages; `graphToProto` converts
 * 'graph' attributes. 'unsupported' attributes cannot be written (their content was not kept).
 */
export function attributeToProto(name: string, a: Attribute, where: string, graphToProto: (g: Graph) => onnx.IGraphProto): onnx.IAttributeProto {
  const enc = new TextEncoder();
  switch (a.kind) {
    case 'float': return { name, type: T.FLOAT, f: a.value };
    case 'int': return { name, type: T.INT, i: numberToLong(a.value) as unknown as number };
    case 'string': return { name, type: T.STRING, s: enc.encode(a.value) };
    case 'floats': return { name, type: T.FLOATS, floats: a.value.slice() };
    case 'ints': return { name, type: T.INTS, ints: a.value.map((v) => numberToLong(v) as unknown as number) };
    case 'strings': return { name, type: T.STRINGS, strings: a.value.map((s) => enc.encode(s)) };
    case 'tensor': return { name, type: T.TENSOR, t: tensorToProto('', a.value) };
    case 'graph': return { name, type: T.GRAPH, g: graphToProto(a.value) };
    case 'unsupported':
      throw new NpuqError('UNSUPPORTED',
        `Cannot save attribute "${name}" of ${where}: it is of ONNX attribute type ${T[a.type] ?? a.type}, whose content npuquant does not keep`);
  }
}

/**
 * Converts a ValueInfoProto. Dims: dim_value → number (a negative one → unknown), dim_param → its
 * name, neither → undefined; no shape → rank unknown. Non-tensor types (sequence, map, optional,
 * sparse tensor) and element types npuquant does not handle are UNSUPPORTED. `role` names the
 * value's role in messages ("Graph input", …).
 */
export function valueInfoFromProto(v: onnx.IValueInfoProto, role: string, ctx: TensorContext): ValueInfo {
  const name = v.name ?? '';
  const type = v.type;
  if (!type) return { name, dtype: undefined, shape: undefined };
  const tt = type.tensorType;
  if (!tt) {
    const kind = type.sequenceType ? 'a sequence' : type.mapType ? 'a map' : type.optionalType ? 'an optional'
      : type.sparseTensorType ? 'a sparse tensor' : undefined;
    if (kind === undefined) return { name, dtype: undefined, shape: undefined };
    throw new NpuqError('UNSUPPORTED', `${role} "${name}" in ${ctx.label} is ${kind}; npuquant handles only tensor values`, { file: ctx.file });
  }
  const code = tt.elemType ?? 0;
  const dtype = dtypeFromOnnx(code);
  if (code !== 0 && dtype === undefined) {
    throw new NpuqError('UNSUPPORTED', `${role} "${name}" in ${ctx.label} has element type ${onnxTypeName(code)}, which npuquant does not handle`, { file: ctx.file });
  }
  let shape: Dim[] | undefined;
  if (tt.shape) {
    shape = (tt.shape.dim ?? []).map((d): Dim => {
      if (own(d, 'dimValue')) {
        const n = longToNumber(d.dimValue as LongLike);
        return n >= 0 ? n : undefined;
      }
      if (own(d, 'dimParam') && d.dimParam) return d.dimParam;
      return undefined;
    });
  }
  return { name, dtype, shape };
}

/** Converts a ValueInfo for saving (the type is omitted when neither dtype nor shape is known). */
export function valueInfoToProto(v: ValueInfo): onnx.IValueInfoProto {
  if (v.dtype === undefined && v.shape === undefined) return { name: v.name };
  const tensorType: onnx.TypeProto.ITensor = {};
  if (v.dtype !== undefined) tensorType.elemType = ONNX_DTYPE_CODE[v.dtype];
  if (v.shape !== undefined) {
    tensorType.shape = {
      dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})),
    };
  }
  return { name: v.name, type: { tensorType } };
}
