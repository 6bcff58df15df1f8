import { describe, expect, it } from 'vitest';
import { bodyHash, canonicalJson } from '../../../src/export/canonical-json';

describe('canonicalJson', () => {
  it('sorts object keys', () => {
    expect(canonicalJson({ b: 1, a: 2, c: 3 })).toBe('{"a":2,"b":1,"c":3}');
  });

  it('sorts nested objects, including objects inside arrays', () => {
    const value = { z: { y: 1, x: [{ d: 1, c: 2 }] }, a: null };
    expect(canonicalJson(value)).toBe('{"a":null,"z":{"x":[{"c":2,"d":1}],"y":1}}');
  });

  it('sorts integer-like keys as strings, not numerically', () => {
    // A rebuilt JS object would enumerate "2" before "10"; code-unit order puts "10" first.
    expect(canonicalJson({ 2: 'two', 10: 'ten', a: 'a' })).toBe('{"10":"ten","2":"two","a":"a"}');
  });

  it('drops undefined members but keeps null', () => {
    expect(canonicalJson({ a: undefined, b: null, c: () => 1 })).toBe('{"b":null}');
  });

  it('keeps array order and turns undefined slots into null, as JSON.stringify does', () => {
    expect(canonicalJson([3, undefined, 1, () => 1])).toBe('[3,null,1,null]');
  });

  it('matches JSON.stringify for primitives, dates and non-finite numbers', () => {
    for (const value of ['x', 'é\n"', 0, -1.5, true, null, Number.NaN, Infinity, new Date(0), [], {}]) {
      expect(canonicalJson(value)).toBe(JSON.stringify(value));
    }
  });

  it('does not depend on insertion order', () => {
    expect(canonicalJson({ a: 1, b: { c: 1, d: 2 } })).toBe(canonicalJson({ b: { d: 2, c: 1 }, a: 1 }));
  });

  it('refuses circular structures and BigInt like JSON.stringify', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => canonicalJson(loop)).toThrow(TypeError);
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });
});

describe('bodyHash', () => {
  it('is the lowercase hex sha256 of the canonical JSON (known vectors, computed with sha256sum)', async () => {
    expect(await bodyHash([])).toBe('4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945');
    const records = [{ stream: 'orders', record_key: '1', data: { title: 'Café', id: '1' }, op: undefined }];
    // canonical: [{"data":{"id":"1","title":"Café"},"record_key":"1","stream":"orders"}] as UTF-8
    expect(await bodyHash(records)).toBe('2d9c22c8afa1eeeb9aea5561d07342fe73989052c006ab8cb94385c4dbe7eb2e');
  });

  it('ignores key order', async () => {
    expect(await bodyHash([{ a: 1, b: 2 }])).toBe(await bodyHash([{ b: 2, a: 1 }]));
  });
});
