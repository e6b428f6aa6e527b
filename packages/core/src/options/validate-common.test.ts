// Tests of validate-common.ts: what every user map gets (symbol keys, throwing getters and traps).
import { describe, expect, it } from 'vitest';
import { issuesOf } from './__fixtures__/validate.js';

describe('user maps', () => {
  it('rejects symbol keys inside a map', () => {
    const issues = issuesOf({ resources: { [Symbol('s')]: 1, ok: 1 } });
    expect(issues.map((i) => [i.code, i.path])).toEqual([['invalid_value', ['resources']]]);
  });

  it('a throwing getter inside a map becomes an issue', () => {
    const resources = {
      get licence(): number {
        throw new Error('boom');
      },
    };
    const issues = issuesOf({ resources });
    expect(issues.map((i) => [i.code, i.path])).toEqual([['invalid_type', ['resources', 'licence']]]);
  });

  it('a proxy whose ownKeys trap throws is reported, not thrown through', () => {
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    const top = issuesOf(proxy);
    expect(top.map((i) => [i.code, i.path])).toEqual([['invalid_value', []]]);
    expect(top[0]?.message).toContain('cannot be read');
    const nested = issuesOf({ resources: proxy, _metadata: { ns: proxy } });
    expect(nested.map((i) => [i.code, i.path])).toEqual([
      ['invalid_value', ['resources']],
      ['invalid_value', ['_metadata', 'ns']],
    ]);
  });
});
