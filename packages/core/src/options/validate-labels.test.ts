// Tests of validate-labels.ts: labelSelector and the match expressions of a nodeLabel strategy.
import { describe } from 'vitest';
import { type Rejected, itAcceptsEach, itRejectsEach } from './__fixtures__/validate.js';

const rejected: Rejected[] = [
  // labelSelector
  [
    'labelSelector not object',
    { labelSelector: 'a=b' },
    'invalid_type',
    ['labelSelector'],
    'labelSelector must be an object',
  ],
  [
    'labelSelector value number',
    { labelSelector: { region: 1 } },
    'invalid_type',
    ['labelSelector', 'region'],
    'must be a string',
  ],
  [
    'labelSelector bad key name',
    { labelSelector: { '-bad': 'x' } },
    'invalid_value',
    ['labelSelector', '-bad'],
    'invalid label key',
  ],
  [
    'labelSelector key name too long',
    { labelSelector: { ['a'.repeat(64)]: 'x' } },
    'invalid_value',
    ['labelSelector', 'a'.repeat(64)],
    '63 characters',
  ],
  [
    'labelSelector bad prefix',
    { labelSelector: { 'Bad_Prefix/name': 'x' } },
    'invalid_value',
    ['labelSelector', 'Bad_Prefix/name'],
    'DNS labels',
  ],
  [
    'labelSelector empty prefix',
    { labelSelector: { '/name': 'x' } },
    'invalid_value',
    ['labelSelector', '/name'],
    'prefix',
  ],
  [
    'labelSelector prefix too long',
    { labelSelector: { [`${'a.'.repeat(127)}a/n`]: 'x' } },
    'invalid_value',
    ['labelSelector', `${'a.'.repeat(127)}a/n`],
    '253',
  ],
  [
    'labelSelector two slashes',
    { labelSelector: { 'a/b/c': 'x' } },
    'invalid_value',
    ['labelSelector', 'a/b/c'],
    'invalid label key',
  ],
  [
    'labelSelector bad value',
    { labelSelector: { region: 'us west' } },
    'invalid_value',
    ['labelSelector', 'region'],
    'invalid label selector value',
  ],
  [
    'labelSelector empty in()',
    { labelSelector: { region: 'in()' } },
    'invalid_value',
    ['labelSelector', 'region'],
    'selector value',
  ],
  [
    'labelSelector bare set',
    { labelSelector: { region: '(a,b)' } },
    'invalid_value',
    ['labelSelector', 'region'],
    'selector value',
  ],
  [
    'labelSelector double negation',
    { labelSelector: { region: '!!a' } },
    'invalid_value',
    ['labelSelector', 'region'],
    'selector value',
  ],
  [
    'labelSelector value too long',
    { labelSelector: { region: 'a'.repeat(64) } },
    'invalid_value',
    ['labelSelector', 'region'],
    'selector value',
  ],
  [
    'labelSelector __proto__',
    JSON.parse('{"labelSelector":{"__proto__":"x"}}'),
    'invalid_value',
    ['labelSelector', '__proto__'],
    'pollute',
  ],
  // node-label match expressions (schedulingStrategy)
  [
    'label missing hard',
    { schedulingStrategy: { type: 'nodeLabel' } },
    'invalid_type',
    ['schedulingStrategy', 'hard'],
    'required',
  ],
  [
    'label bad operator',
    { schedulingStrategy: { type: 'nodeLabel', hard: { region: { operator: 'In', values: ['a'] } } } },
    'invalid_value',
    ['schedulingStrategy', 'hard', 'region', 'operator'],
    "'in', 'notIn', 'exists' or 'doesNotExist'",
  ],
  [
    'label expression not object',
    { schedulingStrategy: { type: 'nodeLabel', hard: { region: 'a' } } },
    'invalid_type',
    ['schedulingStrategy', 'hard', 'region'],
    'match expression',
  ],
  [
    'label in without values',
    { schedulingStrategy: { type: 'nodeLabel', hard: { region: { operator: 'in', values: [] } } } },
    'invalid_value',
    ['schedulingStrategy', 'hard', 'region', 'values'],
    'non-empty array',
  ],
  [
    'label in values missing',
    { schedulingStrategy: { type: 'nodeLabel', hard: { region: { operator: 'notIn' } } } },
    'invalid_type',
    ['schedulingStrategy', 'hard', 'region', 'values'],
    'non-empty array',
  ],
  [
    'label value not string',
    { schedulingStrategy: { type: 'nodeLabel', hard: { region: { operator: 'in', values: [1] } } } },
    'invalid_type',
    ['schedulingStrategy', 'hard', 'region', 'values', 0],
    'label value string',
  ],
  [
    'label value grammar',
    { schedulingStrategy: { type: 'nodeLabel', hard: { region: { operator: 'in', values: ['a b'] } } } },
    'invalid_value',
    ['schedulingStrategy', 'hard', 'region', 'values', 0],
    'invalid label value',
  ],
  [
    'label exists with values',
    { schedulingStrategy: { type: 'nodeLabel', hard: { region: { operator: 'exists', values: ['a'] } } } },
    'unknown_option',
    ['schedulingStrategy', 'hard', 'region', 'values'],
    'not a field',
  ],
  [
    'label bad key',
    { schedulingStrategy: { type: 'nodeLabel', hard: { 'bad key': { operator: 'exists' } } } },
    'invalid_value',
    ['schedulingStrategy', 'hard', 'bad key'],
    'invalid label key',
  ],
  [
    'label soft bad type',
    { schedulingStrategy: { type: 'nodeLabel', hard: { a: { operator: 'exists' } }, soft: [] } },
    'invalid_type',
    ['schedulingStrategy', 'soft'],
    'got an array',
  ],
];

describe('labelSelector and node-label expressions: every rule, with code and path', () => {
  itRejectsEach(rejected);
});

describe('labelSelector and node-label expressions', () => {
  itAcceptsEach([
    [
      'node label',
      {
        schedulingStrategy: {
          type: 'nodeLabel',
          hard: { region: { operator: 'in', values: ['us-west1', 'us-east1'] }, 'ray.io/gpu': { operator: 'exists' } },
          soft: { spot: { operator: 'doesNotExist' }, tier: { operator: 'notIn', values: ['low'] } },
        },
      },
    ],
    [
      'node label soft only',
      { schedulingStrategy: { type: 'nodeLabel', hard: {}, soft: { a: { operator: 'exists' } } } },
    ],
    [
      'label selector grammar',
      {
        labelSelector: {
          region: 'us-west1',
          tier: '!spot',
          zone: 'in(a,b)',
          'example.com/zone': '!in(a, b,c)',
          'ray.io/accelerator-type': 'H100',
          empty: '',
        },
      },
    ],
    ['label key 63 chars', { labelSelector: { ['a'.repeat(63)]: 'x' } }],
  ]);
});
