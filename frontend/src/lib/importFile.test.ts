import { describe, expect, it } from 'vitest';
import { decodeHead, detectEncoding, guessDelimiter, parseCsv } from './importFile';

/** s in GBK: ASCII as is, every other character by its two-byte GBK code (found with TextDecoder('gbk')). */
function gbk(s: string): Uint8Array {
  const codes = new Map<string, [number, number]>();
  const dec = new TextDecoder('gbk');
  for (let a = 0x81; a <= 0xfe; a++) {
    for (let b = 0x40; b <= 0xfe; b++) {
      if (b === 0x7f) continue;
      const c = dec.decode(new Uint8Array([a, b]));
      if (!codes.has(c)) codes.set(c, [a, b]);
    }
  }
  const out: number[] = [];
  for (const ch of s) {
    if (ch.charCodeAt(0) < 0x80) out.push(ch.charCodeAt(0));
    else {
      const code = codes.get(ch);
      if (!code) throw new Error(`no GBK code for ${ch}`);
      out.push(...code);
    }
  }
  return new Uint8Array(out);
}

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('detectEncoding', () => {
  it('reads valid UTF-8 as UTF-8, with or without a byte order mark', () => {
    expect(detectEncoding(utf8('姓名,手机\n张三,13800000000\n'))).toBe('utf-8');
    expect(detectEncoding(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('name,phone\n')]))).toBe('utf-8');
    expect(detectEncoding(utf8('name,phone\n'))).toBe('utf-8');
  });
  it('reads anything else as GBK (GB18030), as the server does', () => {
    const bytes = gbk('姓名,手机\n张三,13800000000\n');
    // The fixed codes of two characters, so the helper itself is checked.
    expect([...gbk('张三')]).toEqual([0xd5, 0xc5, 0xc8, 0xfd]);
    expect(detectEncoding(bytes)).toBe('gb18030');
    expect(decodeHead(bytes, 'gb18030').text).toBe('姓名,手机\n张三,13800000000\n');
  });
});

describe('decodeHead', () => {
  it('drops the byte order mark and a character cut at the end', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('名,a\n张')]);
    expect(decodeHead(bytes, 'utf-8')).toEqual({ text: '名,a\n张', truncated: false });
    // 张 is three bytes in UTF-8: cut after its first byte it is left out.
    const head = decodeHead(bytes, 'utf-8', bytes.length - 2);
    expect(head).toEqual({ text: '名,a\n', truncated: true });
    const g = gbk('王五李四');
    expect(decodeHead(g, 'gb18030', 3)).toEqual({ text: '王', truncated: true });
  });
});

describe('guessDelimiter', () => {
  it('picks the delimiter the header holds most, commas by default', () => {
    expect(guessDelimiter('姓名,手机,邮箱\n1;2')).toBe(',');
    expect(guessDelimiter('姓名;手机;"a,b,c"\r\n')).toBe(';');
    expect(guessDelimiter('name\tphone\n')).toBe('\t');
    expect(guessDelimiter('name\n')).toBe(',');
  });
});

describe('parseCsv', () => {
  it('reads quoted fields, escaped quotes, line breaks in quotes and CRLF, skipping blank lines', () => {
    const text = 'a,b,c\r\n1,"x, y","he said ""hi"""\r\n\r\n2,"two\r\nlines",\n3,,z';
    expect(parseCsv(text)).toEqual([
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['1', 'x, y', 'he said "hi"'], line: 2 },
      { fields: ['2', 'two\nlines', ''], line: 4 },
      { fields: ['3', '', 'z'], line: 6 },
    ]);
  });
  it('stops at maxRecords and leaves out a last record that may be cut', () => {
    expect(parseCsv('a\n1\n2\n3\n', ',', 2)).toHaveLength(2);
    expect(parseCsv('a;b\n1;2\n3;4', ';', Infinity, true)).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 2 },
    ]);
    expect(parseCsv('a;b\n1;2\n', ';', Infinity, true)).toHaveLength(2);
    expect(parseCsv('')).toEqual([]);
  });
});
