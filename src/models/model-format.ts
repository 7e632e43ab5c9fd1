import { createHash } from 'node:crypto';
import { ArtifactError } from '../errors.ts';
import type { ModelParams } from './rating-model.ts';

/**
 * The saved form of every model: one versioned, checksummed binary.
 *
 * ```
 * offset 0   8 bytes   magic "MNMODEL\0"
 *        8   u32 LE    format version (MODEL_FORMAT_VERSION)
 *       12   u32 LE    header length H (bytes of UTF-8 JSON)
 *       16   H bytes   header JSON: { kind, params, meta, sections: [{ name, type, length }] }
 *            padding to a multiple of 8
 *            sections, in header order, each padded to a multiple of 8 (little-endian)
 *  end - 32  32 bytes  SHA-256 of every byte before it
 * ```
 * Typed arrays are stored raw so loading is a copy, not a parse; the checksum covers the header
 * too, so a flipped bit anywhere is caught before anything is trusted.
 */
export const MODEL_FORMAT_VERSION = 1;

const MAGIC = new Uint8Array([0x4d, 0x4e, 0x4d, 0x4f, 0x44, 0x45, 0x4c, 0x00]); // "MNMODEL\0"
const CHECKSUM_BYTES = 32;

export type SectionArray = Float32Array | Float64Array | Int32Array | Uint8Array;
type SectionType = 'f32' | 'f64' | 'i32' | 'u8';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a model artifact holds, before encoding and after decoding. */
export interface ModelArtifact {
  readonly kind: string;
  readonly params: ModelParams;
  /** Small JSON facts: scalars (global mean, scale) and lineage (data fingerprint, seed, sizes). */
  readonly meta: Readonly<Record<string, JsonValue>>;
  /** The learned arrays by name. */
  readonly sections: ReadonlyMap<string, SectionArray>;
}

interface SectionHeader {
  name: string;
  type: SectionType;
  length: number;
}

function typeOf(a: SectionArray): SectionType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Int32Array) return 'i32';
  return 'u8';
}

const bytesPer: Record<SectionType, number> = { f32: 4, f64: 8, i32: 4, u8: 1 };

const pad8 = (n: number) => (n + 7) & ~7;

/** Encodes an artifact; the same artifact always gives the same bytes. */
export function encodeModel(artifact: ModelArtifact): Uint8Array {
  const sections: SectionHeader[] = [];
  for (const [name, a] of artifact.sections) sections.push({ name, type: typeOf(a), length: a.length });
  const header = new TextEncoder().encode(
    JSON.stringify({ kind: artifact.kind, params: artifact.params, meta: artifact.meta, sections }),
  );
  let size = pad8(16 + header.length);
  for (const s of sections) size += pad8(s.length * bytesPer[s.type]);
  const out = new Uint8Array(size + CHECKSUM_BYTES);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, MODEL_FORMAT_VERSION, true);
  view.setUint32(12, header.length, true);
  out.set(header, 16);
  let offset = pad8(16 + header.length);
  for (const a of artifact.sections.values()) {
    // Typed arrays are little-endian on every platform Node runs on; copy their bytes as they are.
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += pad8(a.byteLength);
  }
  out.set(createHash('sha256').update(out.subarray(0, size)).digest(), size);
  return out;
}

/** The typed arrays of the sections a header lists, read from `offset` on; bounds are checked. */
function readSections(
  bytes: Uint8Array,
  bodyLength: number,
  headers: readonly SectionHeader[],
  start: number,
): Map<string, SectionArray> {
  const sections = new Map<string, SectionArray>();
  let offset = start;
  for (const s of headers) {
    const per = bytesPer[s.type];
    if (per === undefined || !Number.isInteger(s.length) || s.length < 0) {
      throw new ArtifactError(`model artifact section ${JSON.stringify(s.name)} has a bad type or length`);
    }
    const byteLength = s.length * per;
    if (offset + byteLength > bodyLength) {
      throw new ArtifactError(`model artifact section ${JSON.stringify(s.name)} runs past the end`);
    }
    // Copy into a fresh, aligned buffer: the input may be a Buffer slice at any offset (and
    // Buffer#slice does not copy, hence the explicit set).
    const copy = new Uint8Array(byteLength);
    copy.set(bytes.subarray(offset, offset + byteLength));
    const raw = copy.buffer;
    const array =
      s.type === 'f32'
        ? new Float32Array(raw)
        : s.type === 'f64'
          ? new Float64Array(raw)
          : s.type === 'i32'
            ? new Int32Array(raw)
            : new Uint8Array(raw);
    sections.set(s.name, array);
    offset += pad8(byteLength);
  }
  return sections;
}

/** Decodes and verifies an artifact; anything wrong throws ArtifactError saying what. */
export function decodeModel(bytes: Uint8Array): ModelArtifact {
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new ArtifactError('not a MovieNight model artifact (bad magic bytes)');
  }
  if (bytes.length < 16 + CHECKSUM_BYTES) {
    throw new ArtifactError(`model artifact is truncated: ${bytes.length} bytes is too short to be a model`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== MODEL_FORMAT_VERSION) {
    throw new ArtifactError(
      `model artifact has format version ${version}; this MovieNight reads version ${MODEL_FORMAT_VERSION} only (retrain the model)`,
    );
  }
  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
  const expected = createHash('sha256').update(body).digest();
  const stored = bytes.subarray(bytes.length - CHECKSUM_BYTES);
  if (!expected.equals(stored)) {
    throw new ArtifactError('model artifact is damaged: its SHA-256 checksum does not match its contents');
  }
  const headerLength = view.getUint32(12, true);
  if (16 + headerLength > body.length) throw new ArtifactError('model artifact header runs past the end');
  let header: {
    kind: string;
    params: ModelParams;
    meta: Record<string, JsonValue>;
    sections: SectionHeader[];
  };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength)));
  } catch (e) {
    throw new ArtifactError(`model artifact header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header.kind !== 'string' || !Array.isArray(header.sections)) {
    throw new ArtifactError('model artifact header lacks its kind or sections');
  }
  const sections = readSections(bytes, body.length, header.sections, pad8(16 + headerLength));
  return { kind: header.kind, params: header.params ?? {}, meta: header.meta ?? {}, sections };
}
