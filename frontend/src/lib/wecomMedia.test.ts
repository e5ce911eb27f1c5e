import { describe, expect, it } from 'vitest';
import { CombinedError } from 'urql';
import { GraphQLError } from 'graphql';
import { deleteRefusal, fmtBytes, mediaUseLink, parseMediaKind, refusalKey, searchByName } from './wecomMedia';
import { messages } from '../i18n/messages';

describe('parseMediaKind', () => {
  it('reads a kind from the URL and nothing else', () => {
    expect(parseMediaKind(new URLSearchParams('kind=VIDEO'))).toBe('VIDEO');
    expect(parseMediaKind(new URLSearchParams('kind=FILE&x=1'))).toBe('FILE');
    expect(parseMediaKind(new URLSearchParams(''))).toBeNull();
    expect(parseMediaKind(new URLSearchParams('kind=video'))).toBeNull();
    expect(parseMediaKind(new URLSearchParams('kind=VOICE'))).toBeNull();
  });
});

describe('fmtBytes', () => {
  it('says bytes in 1024-based units, one decimal under 100', () => {
    expect(fmtBytes(0)).toBe('0 B');
    expect(fmtBytes(1023)).toBe('1023 B');
    expect(fmtBytes(1024)).toBe('1 KB');
    expect(fmtBytes(1536)).toBe('1.5 KB');
    expect(fmtBytes(2072)).toBe('2 KB');
    expect(fmtBytes(10 << 20)).toBe('10 MB');
    expect(fmtBytes(20 << 20)).toBe('20 MB');
    expect(fmtBytes(123.4 * 1024 * 1024)).toBe('123 MB');
    expect(fmtBytes(5 * 1024 ** 3)).toBe('5 GB');
  });
});

describe('mediaUseLink', () => {
  it('opens a code in its drawer and a broadcast in its detail', () => {
    expect(mediaUseLink({ kind: 'CONTACT_WAY', id: 'Q29udGFjdFdheTox', name: '展会' })).toBe('/wecom/contact-ways?edit=Q29udGFjdFdheTox');
    expect(mediaUseLink({ kind: 'BROADCAST', id: 'a+b/c=', name: '周报' })).toBe('/broadcasts?open=a%2Bb%2Fc%3D');
  });
});

const conflict = (ext: Record<string, unknown>) =>
  new CombinedError({ graphQLErrors: [new GraphQLError('the media is in use by contact-way code "展会"', { extensions: ext })] });

describe('deleteRefusal', () => {
  it('names what uses the medium from the CONFLICT’s usedBy', () => {
    const uses = [{ kind: 'CONTACT_WAY', id: 'c1', name: '展会' }, { kind: 'BROADCAST', id: 'b1', name: '周报' }];
    expect(deleteRefusal(conflict({ code: 'CONFLICT', field: 'id', usedBy: uses }))).toEqual(uses);
  });
  it('is null for other refusals and for a usedBy it cannot read', () => {
    expect(deleteRefusal(undefined)).toBeNull();
    expect(deleteRefusal(conflict({ code: 'NOT_FOUND', field: 'id' }))).toBeNull();
    expect(deleteRefusal(conflict({ code: 'CONFLICT', field: 'id' }))).toBeNull();
    expect(deleteRefusal(conflict({ code: 'CONFLICT', usedBy: [{ kind: 'LEAD', id: 'x', name: 'y' }, null, 'z'] }))).toBeNull();
    expect(deleteRefusal(new CombinedError({ networkError: new Error('offline') }))).toBeNull();
  });
});

describe('searchByName', () => {
  const rows = [{ filename: '产品介绍.mp4' }, { filename: 'Price-List.PDF' }, { filename: 'cover.png' }];
  it('keeps the rows whose name holds the words, any case', () => {
    expect(searchByName(rows, '')).toBe(rows);
    expect(searchByName(rows, '  ')).toBe(rows);
    expect(searchByName(rows, 'price ')).toEqual([{ filename: 'Price-List.PDF' }]);
    expect(searchByName(rows, '.p')).toEqual([{ filename: 'Price-List.PDF' }, { filename: 'cover.png' }]);
    expect(searchByName(rows, '介绍')).toEqual([{ filename: '产品介绍.mp4' }]);
    expect(searchByName(rows, 'zip')).toEqual([]);
  });
});

describe('refusalKey', () => {
  it("names media/upload's documented errcodes in their own words, any other in the general ones", () => {
    expect(refusalKey(40005)).toBe('media.refusal.40005');
    expect(refusalKey(40011)).toBe('media.refusal.40011');
    expect(refusalKey(48002)).toBe('media.refusal.other');
    expect(refusalKey(0)).toBe('media.refusal.other');
    for (const code of [40004, 40005, 40006, 40009, 40011, 41005, 44001, 1]) {
      const [zh] = messages[refusalKey(code)];
      expect(zh).toMatch(/[\u4e00-\u9fff]/);
    }
  });
});
