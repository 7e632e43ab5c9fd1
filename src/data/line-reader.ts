import { open } from 'node:fs/promises';
import { InvalidInputError } from '../errors.ts';

/**
 * `utf8` and `latin1` (ISO-8859-1) decode as named; `auto` decodes UTF-8 while the bytes are valid
 * UTF-8 and switches to ISO-8859-1 for the rest of the file at the first invalid sequence. Old
 * MovieLens files (100k, 1m) are ISO-8859-1, new ones UTF-8, and a Latin-1 text with accented
 * letters is practically never valid UTF-8, so `auto` reads both correctly.
 */
export type TextEncodingName = 'utf8' | 'latin1' | 'auto';

export const textEncodings: readonly TextEncodingName[] = ['auto', 'utf8', 'latin1'];

/** A batch of consecutive lines, without their line terminators. */
export interface LineBatch {
  /** 1-based number of `lines[0]` in the file. */
  readonly firstLine: number;
  readonly lines: readonly string[];
  /** Bytes of the file consumed so far (for a progress bar). */
  readonly bytesRead: number;
}

const CHUNK = 1 << 20;

/**
 * Streams a text file as batches of lines: fixed-size reads, so memory does not grow with the file.
 * Accepts LF and CRLF. Lines are cut at LF bytes before decoding; LF never occurs inside a
 * multi-byte UTF-8 sequence, so no character is ever split. A trailing empty line is not reported.
 */
export async function* readLines(
  path: string,
  encoding: TextEncodingName = 'auto',
): AsyncGenerator<LineBatch> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new InvalidInputError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let mode: 'utf8' | 'latin1' = encoding === 'latin1' ? 'latin1' : 'utf8';
  const decode = (bytes: Buffer): string => {
    if (mode === 'latin1') return bytes.toString('latin1');
    if (encoding === 'utf8') return bytes.toString('utf8');
    try {
      return strict.decode(bytes);
    } catch {
      mode = 'latin1';
      return bytes.toString('latin1');
    }
  };
  try {
    let carry: Buffer = Buffer.alloc(0);
    let lineNo = 1;
    let bytesRead = 0;
    let first = true;
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead: n } = await handle.read(buffer, 0, CHUNK, null);
      bytesRead += n;
      let data: Buffer = carry.length ? Buffer.concat([carry, buffer.subarray(0, n)]) : buffer.subarray(0, n);
      if (first && data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) {
        data = data.subarray(3); // a UTF-8 byte-order mark is not part of the header
      }
      first = false;
      const end = n === 0 ? data.length : data.lastIndexOf(0x0a) + 1;
      if (end > 0) {
        const text = decode(data.subarray(0, end));
        const lines = text.split('\n');
        if (lines[lines.length - 1] === '') lines.pop();
        for (let i = 0; i < lines.length; i++) {
          const l = lines[i]!;
          if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
        }
        if (lines.length) yield { firstLine: lineNo, lines, bytesRead };
        lineNo += lines.length;
      }
      // Copy the remainder: `buffer` is reused by the next read.
      carry = Buffer.from(data.subarray(end));
      if (n === 0) break;
    }
  } finally {
    await handle.close();
  }
}
