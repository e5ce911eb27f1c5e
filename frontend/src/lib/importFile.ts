// Reading an import's CSV file in the browser, for its header and preview
// only: the server reads the whole file itself (internal/longjob/import.go)
// and decides its encoding the same way — valid UTF-8 (with or without a
// byte order mark) is UTF-8, anything else GBK, decoded as GB18030 (its
// superset, which is what Excel on Chinese Windows writes).

export type CsvEncoding = 'utf-8' | 'gb18030';

/** The encoding the server will read bytes in: UTF-8 when they are valid UTF-8, else GBK (GB18030). */
export function detectEncoding(bytes: Uint8Array): CsvEncoding {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return 'utf-8';
  } catch {
    return 'gb18030';
  }
}

/** How much of a file the preview reads: its header and first rows are in here. */
export const PREVIEW_BYTES = 256 * 1024;

/**
 * The text of the first maxBytes of bytes in encoding, without a byte order
 * mark. A character cut at the end is left out, not garbled.
 */
export function decodeHead(bytes: Uint8Array, encoding: CsvEncoding, maxBytes = PREVIEW_BYTES): { text: string; truncated: boolean } {
  const truncated = bytes.length > maxBytes;
  const head = truncated ? bytes.subarray(0, maxBytes) : bytes;
  // stream: true keeps an incomplete last character back instead of
  // decoding it as U+FFFD.
  const text = new TextDecoder(encoding).decode(head, { stream: truncated });
  return { text, truncated };
}

/** The delimiters the import offers; the server takes any single character. */
export const DELIMITERS = [',', ';', '\t'] as const;

/** The delimiter of a header line: the offered one it holds most often (outside quotes), else a comma. */
export function guessDelimiter(text: string): string {
  const end = text.search(/\r?\n/);
  const line = (end < 0 ? text : text.slice(0, end)).replace(/"[^"]*"/g, '');
  let best = ',';
  let most = 0;
  for (const d of DELIMITERS) {
    const n = line.split(d).length - 1;
    if (n > most) {
      best = d;
      most = n;
    }
  }
  return best;
}

export interface CsvRecord {
  fields: string[];
  /** The 1-based line of the file where the record starts, as the rejected rows' _line counts. */
  line: number;
}

/**
 * The first maxRecords records of CSV text, read as Go's encoding/csv reads
 * them (the server's reader): quoted fields may hold delimiters, quotes ("")
 * and line breaks; blank lines are skipped. When the text is only the head
 * of a file (truncated), a last record that may be cut short is left out.
 */
export function parseCsv(text: string, delimiter = ',', maxRecords = Infinity, truncated = false): CsvRecord[] {
  const out: CsvRecord[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n && out.length < maxRecords) {
    // A blank line is no record.
    if (text[i] === '\n') {
      i++;
      line++;
      continue;
    }
    if (text[i] === '\r' && text[i + 1] === '\n') {
      i += 2;
      line++;
      continue;
    }
    const start = line;
    const fields: string[] = [];
    let ended = false; // the record's line break was read
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) break;
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\r' && text[i + 1] === '\n') {
            field += '\n';
            i += 2;
            line++;
            continue;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        // Anything between the closing quote and the delimiter is kept, as a lenient reader would.
        while (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') field += text[i++];
      } else {
        while (i < n && text[i] !== delimiter && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) field += text[i++];
      }
      fields.push(field);
      if (i < n && text[i] === delimiter) {
        i++;
        continue;
      }
      if (i < n) {
        i += text[i] === '\r' ? 2 : 1;
        line++;
        ended = true;
      }
      break;
    }
    if (truncated && !ended) break;
    out.push({ fields, line: start });
  }
  return out;
}
