import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { DataFormatError, InvalidInputError } from '../errors.ts';

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
 * The longest line a data file may have, in bytes. MovieLens lines are under 1 KiB (the longest
 * title is a few hundred bytes); a longer line is a damaged or wrong file, refused at this length
 * so that a file with no line breaks (or `/dev/zero`) is never buffered whole.
 */
export const maxLineBytes = 64 * 1024;

/** Why a path cannot be read as a data file, in words (no stack): missing, a folder, no access. */
function fileProblem(path: string, error: unknown): InvalidInputError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new InvalidInputError(`${path} does not exist`);
  if (code === 'EISDIR') return new InvalidInputError(`${path} is a folder, not a file`);
  if (code === 'EACCES' || code === 'EPERM')
    return new InvalidInputError(`${path} cannot be read: permission denied`);
  return new InvalidInputError(`cannot read ${path}: ${(error as Error).message}`);
}

/**
 * The size of a data file in bytes (0 for a device such as `/dev/zero`), or a clear error when the
 * path is missing or a folder.
 */
export function dataFileSize(path: string): number {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch (error) {
    throw fileProblem(path, error);
  }
  if (stats.isDirectory()) throw new InvalidInputError(`${path} is a folder, not a file`);
  return stats.size;
}

/** A complete line longer than the limit (its byte length is only counted when it could be). */
function tooLong(line: string, mode: 'utf8' | 'latin1'): boolean {
  return line.length * 3 > maxLineBytes && Buffer.byteLength(line, mode) > maxLineBytes;
}

function lineTooLongError(path: string, lineNo: number, start: Buffer | string): DataFormatError {
  const text = typeof start === 'string' ? start.slice(0, 40) : start.subarray(0, 40).toString('latin1');
  return new DataFormatError(path, lineNo, text, `line is longer than ${maxLineBytes} bytes (the limit)`);
}

/**
 * Streams a text file as batches of lines: fixed-size reads, so memory does not grow with the file.
 * Accepts LF and CRLF. Lines are cut at LF bytes before decoding; LF never occurs inside a
 * multi-byte UTF-8 sequence, so no character is ever split. A trailing empty line is not reported.
 * A line longer than `maxLineBytes` is a DataFormatError naming it, raised as soon as the limit
 * is passed: at most one chunk beyond the limit is ever held. A missing file or a folder is an
 * InvalidInputError saying so.
 */
export async function* readLines(
  path: string,
  encoding: TextEncodingName = 'auto',
): AsyncGenerator<LineBatch> {
  dataFileSize(path);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fileProblem(path, error);
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
      const n = await readChunk(handle, buffer, path);
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
          if (tooLong(l, mode)) throw lineTooLongError(path, lineNo + i, l);
        }
        if (lines.length) yield { firstLine: lineNo, lines, bytesRead };
        lineNo += lines.length;
      }
      // Copy the remainder: `buffer` is reused by the next read.
      carry = Buffer.from(data.subarray(end));
      if (carry.length > maxLineBytes) throw lineTooLongError(path, lineNo, carry);
      if (n === 0) break;
    }
  } finally {
    await handle.close();
  }
}

async function readChunk(
  handle: Awaited<ReturnType<typeof open>>,
  buffer: Buffer,
  path: string,
): Promise<number> {
  try {
    return (await handle.read(buffer, 0, buffer.length, null)).bytesRead;
  } catch (error) {
    throw fileProblem(path, error);
  }
}
