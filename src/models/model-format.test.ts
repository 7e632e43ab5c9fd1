import { expect, it } from 'vitest';
import { ArtifactError } from '../errors.ts';
import { decodeModel, encodeModel, MODEL_FORMAT_VERSION } from './model-format.ts';

const artifact = {
  kind: 'demo',
  params: { n_factors: 3, method: 'sgd', biased: true },
  meta: { globalMean: 3.5, lineage: { seed: 4 } },
  sections: new Map<string, Float32Array | Float64Array | Int32Array | Uint8Array>([
    ['f', new Float32Array([1.5, -2, 3])],
    ['d', new Float64Array([Math.PI])],
    ['i', new Int32Array([7, -8])],
    ['b', new Uint8Array([1, 2, 3, 4, 5])],
    ['empty', new Float32Array(0)],
  ]),
};

it('round-trips kind, params, meta and every section type, byte-stable', () => {
  const bytes = encodeModel(artifact);
  const back = decodeModel(bytes);
  expect(back.kind).toBe('demo');
  expect(back.params).toEqual(artifact.params);
  expect(back.meta).toEqual(artifact.meta);
  expect([...back.sections.keys()]).toEqual([...artifact.sections.keys()]);
  for (const [name, a] of artifact.sections) expect(back.sections.get(name)).toEqual(a);
  expect(encodeModel(back)).toEqual(bytes);
});

it('decodes from a Buffer slice at an odd offset', () => {
  const bytes = encodeModel(artifact);
  const holder = Buffer.alloc(bytes.length + 3);
  holder.set(bytes, 3);
  expect(decodeModel(holder.subarray(3)).sections.get('d')).toEqual(new Float64Array([Math.PI]));
});

it('rejects damaged bytes, other versions, other files and truncation with clear messages', () => {
  const bytes = encodeModel(artifact);
  for (let at = 16; at < bytes.length; at += 37) {
    const damaged = bytes.slice();
    damaged[at]! ^= 1;
    expect(() => decodeModel(damaged)).toThrow(/checksum/);
  }
  const other = bytes.slice();
  new DataView(other.buffer).setUint32(8, MODEL_FORMAT_VERSION + 1, true);
  expect(() => decodeModel(other)).toThrow(new RegExp(`format version ${MODEL_FORMAT_VERSION + 1}`));
  expect(() =>
    decodeModel(new TextEncoder().encode('{"kind":"svd"} and more text than 48 bytes....')),
  ).toThrow(/not a MovieNight model/);
  expect(() => decodeModel(bytes.subarray(0, 30))).toThrow(ArtifactError);
  expect(() => decodeModel(bytes.subarray(0, bytes.length - 1))).toThrow(ArtifactError);
});
