import { describe, expect, it } from 'vitest';
import { LruMap, Ring } from './bounded.js';

describe('bounded containers', () => {
  it('LruMap keeps the most recently set entries and reports evictions', () => {
    const evicted: string[] = [];
    const m = new LruMap<string, number>(3, (k) => evicted.push(k));
    for (const k of ['a', 'b', 'c']) m.set(k, 1);
    m.set('a', 2); // refreshed: now the newest
    m.set('d', 1);
    expect([...m].map(([k]) => k)).toEqual(['c', 'a', 'd']);
    expect(evicted).toEqual(['b']);
    for (let i = 0; i < 1000; i++) m.set(`k${i}`, i);
    expect(m.size).toBe(3);
    expect(m.get('k999')).toBe(999);
  });

  it('Ring keeps the last n items, oldest first', () => {
    const r = new Ring<number>(3);
    expect(r.last()).toBeUndefined();
    for (let i = 1; i <= 7; i++) r.push(i);
    expect(r.toArray()).toEqual([5, 6, 7]);
    expect(r.last()).toBe(7);
    expect(r.size).toBe(3);
  });
});
