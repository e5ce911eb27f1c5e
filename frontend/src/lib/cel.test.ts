import { describe, expect, it } from 'vitest';
import { offsetOf, parseCelProblems } from './cel';

describe('parseCelProblems', () => {
  it('splits the API message into positioned problems', () => {
    const { problems, rest } = parseCelProblems('1:12: attributes.budgt: no custom field "budgt"; 2:3: undeclared reference to \'x\'; and 2 more');
    expect(problems).toEqual([
      { line: 1, column: 12, message: 'attributes.budgt: no custom field "budgt"' },
      { line: 2, column: 3, message: "undeclared reference to 'x'" },
    ]);
    expect(rest).toBe('and 2 more');
  });
  it('keeps a message without positions', () => {
    expect(parseCelProblems('condition is too long')).toEqual({ problems: [], rest: 'condition is too long' });
  });
  it('keeps semicolons inside one problem', () => {
    expect(parseCelProblems('1:1: found ";" here').problems[0].message).toBe('found ";" here');
  });
});

describe('offsetOf', () => {
  it('finds line and column', () => {
    const text = 'a && b\n  || c';
    expect(offsetOf(text, 1, 1)).toBe(0);
    expect(offsetOf(text, 2, 3)).toBe(9);
    expect(offsetOf(text, 9, 99)).toBe(text.length);
  });
});
