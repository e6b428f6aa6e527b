// Tests of validate-strategy.ts: schedulingStrategy.
import { describe, expect, it } from 'vitest';
import { Cluster } from '../resources/cluster.js';
import { NodeResources } from '../resources/node-resources.js';
import { validateTaskOptions } from './validate.js';
import { type Rejected, itAcceptsEach, itRejectsEach } from './__fixtures__/validate.js';

const rejected: Rejected[] = [
  [
    'strategy lowercase',
    { schedulingStrategy: 'spread' },
    'invalid_value',
    ['schedulingStrategy'],
    "did you mean 'SPREAD'?",
  ],
  [
    'strategy unknown string',
    { schedulingStrategy: 'XXX' },
    'invalid_value',
    ['schedulingStrategy'],
    "'DEFAULT', 'SPREAD', or an object",
  ],
  ['strategy number', { schedulingStrategy: 1 }, 'invalid_type', ['schedulingStrategy'], 'got 1'],
  [
    'strategy missing type',
    { schedulingStrategy: { nodeId: 'n' } },
    'invalid_type',
    ['schedulingStrategy', 'type'],
    'required',
  ],
  [
    'strategy unknown type',
    { schedulingStrategy: { type: 'pg' } },
    'invalid_value',
    ['schedulingStrategy', 'type'],
    "'nodeAffinity', 'placementGroup' or 'nodeLabel'",
  ],
  [
    'affinity missing nodeId',
    { schedulingStrategy: { type: 'nodeAffinity' } },
    'invalid_type',
    ['schedulingStrategy', 'nodeId'],
    'required',
  ],
  [
    'affinity empty nodeId',
    { schedulingStrategy: { type: 'nodeAffinity', nodeId: '' } },
    'invalid_value',
    ['schedulingStrategy', 'nodeId'],
    'non-empty',
  ],
  [
    'affinity soft not boolean',
    { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n', soft: 1 } },
    'invalid_type',
    ['schedulingStrategy', 'soft'],
    'boolean',
  ],
  [
    'affinity spill without soft',
    { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n', spillOnUnavailable: true } },
    'conflict',
    ['schedulingStrategy', 'spillOnUnavailable'],
    'requires schedulingStrategy.soft: true',
  ],
  [
    'affinity spill with soft false',
    { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n', soft: false, spillOnUnavailable: true } },
    'conflict',
    ['schedulingStrategy', 'spillOnUnavailable'],
    'soft',
  ],
  [
    'affinity fail with soft',
    { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n', soft: true, failOnUnavailable: true } },
    'conflict',
    ['schedulingStrategy', 'failOnUnavailable'],
    'cannot be combined with schedulingStrategy.soft',
  ],
  [
    'affinity unknown field',
    { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n', sfot: true } },
    'unknown_option',
    ['schedulingStrategy', 'sfot'],
    'did you mean soft?',
  ],
  [
    'pg missing group',
    { schedulingStrategy: { type: 'placementGroup' } },
    'invalid_type',
    ['schedulingStrategy', 'placementGroup'],
    'required',
  ],
  [
    'pg group string',
    { schedulingStrategy: { type: 'placementGroup', placementGroup: 'pg1' } },
    'invalid_type',
    ['schedulingStrategy', 'placementGroup'],
    'object with an id',
  ],
  [
    'pg id missing',
    { schedulingStrategy: { type: 'placementGroup', placementGroup: {} } },
    'invalid_type',
    ['schedulingStrategy', 'placementGroup', 'id'],
    'non-empty string',
  ],
  [
    'pg id empty',
    { schedulingStrategy: { type: 'placementGroup', placementGroup: { id: '' } } },
    'invalid_value',
    ['schedulingStrategy', 'placementGroup', 'id'],
    'non-empty',
  ],
  [
    'pg bundleIndex -2',
    { schedulingStrategy: { type: 'placementGroup', placementGroup: { id: 'p' }, bundleIndex: -2 } },
    'invalid_value',
    ['schedulingStrategy', 'bundleIndex'],
    'integer ≥ -1',
  ],
  [
    'pg bundleIndex fractional',
    { schedulingStrategy: { type: 'placementGroup', placementGroup: { id: 'p' }, bundleIndex: 0.5 } },
    'invalid_value',
    ['schedulingStrategy', 'bundleIndex'],
    'integer',
  ],
  [
    'pg captureChildTasks not boolean',
    { schedulingStrategy: { type: 'placementGroup', placementGroup: { id: 'p' }, captureChildTasks: 'yes' } },
    'invalid_type',
    ['schedulingStrategy', 'captureChildTasks'],
    'boolean',
  ],
  [
    'label both empty',
    { schedulingStrategy: { type: 'nodeLabel', hard: {}, soft: {} } },
    'invalid_value',
    ['schedulingStrategy', 'hard'],
    'cannot both be empty',
  ],
];

describe('schedulingStrategy: every rule, with code and path', () => {
  itRejectsEach(rejected);
});

describe('schedulingStrategy', () => {
  itAcceptsEach([
    ['strategy SPREAD', { schedulingStrategy: 'SPREAD' }],
    ['strategy DEFAULT', { schedulingStrategy: 'DEFAULT' }],
    [
      'affinity soft spill',
      { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n1', soft: true, spillOnUnavailable: true } },
    ],
    [
      'affinity hard fail',
      { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n1', soft: false, failOnUnavailable: true } },
    ],
    [
      'pg',
      {
        schedulingStrategy: {
          type: 'placementGroup',
          placementGroup: { id: 'pg1' },
          bundleIndex: -1,
          captureChildTasks: true,
        },
      },
    ],
  ]);

  it('returns scheduling strategies frozen, label maps and values included', () => {
    const { schedulingStrategy: s } = validateTaskOptions({
      schedulingStrategy: {
        type: 'nodeLabel',
        hard: { zone: { operator: 'in', values: ['a'] } },
        soft: { tier: { operator: 'exists' } },
      },
    });
    const label = s as unknown as { hard: { zone: { values: string[] } }; soft: object };
    for (const part of [label, label.hard, label.hard.zone, label.hard.zone.values, label.soft]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    // Validating it again gives it back as it is.
    expect(validateTaskOptions({ schedulingStrategy: s }).schedulingStrategy).toBe(s);
  });

  it("keeps a Cluster's placement group by identity; copies any other handle as { id }, read once", () => {
    const cluster = new Cluster().addNode(new NodeResources({ CPU: 2 }));
    const real = cluster.createPlacementGroup({ bundles: [{ CPU: 1 }] });
    const kept = validateTaskOptions({ schedulingStrategy: { type: 'placementGroup', placementGroup: real } });
    expect((kept.schedulingStrategy as { placementGroup: unknown }).placementGroup).toBe(real);

    class PG {
      constructor(readonly id: string) {}
      readonly state = 'CREATED';
    }
    let reads = 0;
    const handles: object[] = [
      new PG('pg7'),
      { id: 'pg7', state: 'CREATED' },
      {
        get id() {
          return reads++ === 0 ? 'pg7' : 'other'; // a second read would disagree
        },
      },
      new Proxy(real, {}), // looks like a PlacementGroup, but is not one
    ];
    for (const pg of handles) {
      const out = validateTaskOptions({ schedulingStrategy: { type: 'placementGroup', placementGroup: pg } });
      if (pg === handles[2]) expect(reads).toBe(1);
      const ref = (out.schedulingStrategy as { placementGroup: object }).placementGroup;
      expect(ref).not.toBe(pg);
      expect(ref).toEqual({ id: pg === handles[3] ? real.id : 'pg7' });
      expect(Object.isFrozen(ref)).toBe(true);
    }
  });
});
