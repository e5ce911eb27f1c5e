import { describe, expect, it } from 'vitest';
import { GO, SEQUENCE_MS, shortcutReader } from './shortcuts';

const input = { tagName: 'INPUT' };
const body = { tagName: 'BODY', closest: () => null };

describe('shortcutReader', () => {
  it('reads "/", "?" and "g l"', () => {
    const read = shortcutReader();
    expect(read({ key: '/', target: body }, 0)).toEqual({ kind: 'search' });
    expect(read({ key: '?', target: body }, 10)).toEqual({ kind: 'help' });
    expect(read({ key: 'g', target: body }, 20)).toBeNull();
    expect(read({ key: 'l', target: body }, 300)).toEqual({ kind: 'go', path: '/leads' });
    // The sequence is used up: "l" alone is nothing.
    expect(read({ key: 'l', target: body }, 400)).toBeNull();
  });
  it('opens the task centre with "g t"', () => {
    const read = shortcutReader();
    read({ key: 'g', target: body }, 0);
    expect(read({ key: 't', target: body }, 10)).toEqual({ kind: 'go', path: '/tasks' });
    const noTasks = shortcutReader((p) => p !== '/tasks');
    noTasks({ key: 'g', target: body }, 0);
    expect(noTasks({ key: 't', target: body }, 10)).toBeNull();
  });
  it('forgets "g" after the sequence time', () => {
    const read = shortcutReader();
    read({ key: 'g', target: body }, 0);
    expect(read({ key: 'l', target: body }, SEQUENCE_MS + 1)).toBeNull();
  });
  it('ignores keys typed into fields and keys with modifiers', () => {
    const read = shortcutReader();
    expect(read({ key: '/', target: input }, 0)).toBeNull();
    expect(read({ key: '/', target: { tagName: 'DIV', isContentEditable: true } }, 0)).toBeNull();
    expect(read({ key: '/', ctrlKey: true, target: body }, 0)).toBeNull();
    read({ key: 'g', target: body }, 0);
    expect(read({ key: 'l', target: input }, 10)).toBeNull();
  });
  it('goes only to pages the user may open', () => {
    const read = shortcutReader((p) => p !== '/funnel');
    read({ key: 'g', target: body }, 0);
    expect(read({ key: 'f', target: body }, 10)).toBeNull();
    read({ key: 'g', target: body }, 20);
    expect(read({ key: 'k', target: body }, 30)).toEqual({ kind: 'go', path: GO.k });
  });
});
