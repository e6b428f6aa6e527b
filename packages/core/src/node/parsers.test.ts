import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  acceleratorTypeFromName,
  applyCudaVisibleDevices,
  parseCgroupMemoryLimit,
  parseCgroupV1CpuQuota,
  parseCgroupV2CpuMax,
  parseNvidiaSmiCsv,
  parseProcCgroup,
} from './parsers.js';

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/nvidia-h200/${name}`, import.meta.url), 'utf8');

const EIGHT = Array.from(
  { length: 8 },
  (_, i) => `${i}, GPU-0000000${i}-aaaa-bbbb-cccc-dddddddddddd, NVIDIA H100 80GB HBM3, 81559`,
).join('\n');

describe('parseNvidiaSmiCsv', () => {
  it('parses the real H200 capture (noheader, nounits)', () => {
    expect(parseNvidiaSmiCsv(fixture('query-noheader.csv'))).toEqual([
      { index: 0, uuid: 'GPU-fae129c8-de89-529d-4bf4-97d749d183d9', name: 'NVIDIA H200', memoryMiB: 143771 },
    ]);
  });
  it('tolerates the header and MiB units of plain --format=csv (real capture)', () => {
    const [g] = parseNvidiaSmiCsv(fixture('query.csv'));
    expect(g).toEqual({
      index: 0,
      uuid: 'GPU-fae129c8-de89-529d-4bf4-97d749d183d9',
      name: 'NVIDIA H200',
      memoryMiB: 143771,
    });
  });
  it('parses multi-GPU output, blank lines, CRLF and [N/A] memory', () => {
    const gpus = parseNvidiaSmiCsv(`${EIGHT}\r\n\n`);
    expect(gpus).toHaveLength(8);
    expect(gpus[7]).toEqual({
      index: 7,
      uuid: 'GPU-00000007-aaaa-bbbb-cccc-dddddddddddd',
      name: 'NVIDIA H100 80GB HBM3',
      memoryMiB: 81559,
    });
    expect(parseNvidiaSmiCsv('0, GPU-x, Tesla T4, [N/A]')[0]!.memoryMiB).toBeUndefined();
    expect(parseNvidiaSmiCsv('No devices were found')).toEqual([]);
    expect(parseNvidiaSmiCsv('')).toEqual([]);
  });
});

describe('acceleratorTypeFromName', () => {
  it.each([
    ['NVIDIA H200', 'H200'],
    ['NVIDIA H100 80GB HBM3', 'H100'],
    ['Tesla V100-SXM2-16GB', 'V100'],
    ['NVIDIA A100-SXM4-80GB', 'A100'],
    ['Tesla T4', 'T4'],
    ['NVIDIA A10G', 'A10G'],
    ['NVIDIA L40S', 'L40S'],
    ['NVIDIA GH200 480GB', 'GH200'],
    ['NVIDIA GeForce RTX 4090', 'RTX4090'],
    ['NVIDIA GeForce GTX 1080 Ti', 'GTX1080'],
    ['NVIDIA RTX A6000', 'A6000'],
    ['Quadro RTX 8000', 'RTX8000'],
  ])('%s → %s', (name, type) => expect(acceleratorTypeFromName(name)).toBe(type));
  it('returns undefined for a bare vendor name', () => {
    expect(acceleratorTypeFromName('NVIDIA')).toBeUndefined();
    expect(acceleratorTypeFromName('')).toBeUndefined();
  });
  it('names the real capture H200', () => {
    expect(acceleratorTypeFromName(parseNvidiaSmiCsv(fixture('query-noheader.csv'))[0]!.name)).toBe('H200');
  });
});

describe('applyCudaVisibleDevices', () => {
  const gpus = parseNvidiaSmiCsv(EIGHT);
  it('unset → all GPUs, no mapping', () => {
    expect(applyCudaVisibleDevices(gpus, undefined)).toEqual({ gpus, visibleDevices: undefined });
  });
  it('empty → none', () => {
    expect(applyCudaVisibleDevices(gpus, '')).toEqual({ gpus: [], visibleDevices: [] });
  });
  it('indices, in the listed order', () => {
    const r = applyCudaVisibleDevices(gpus, '5,2');
    expect(r.gpus.map((g) => g.index)).toEqual([5, 2]);
    expect(r.visibleDevices).toEqual(['5', '2']);
  });
  it('UUIDs and unique UUID prefixes', () => {
    const r = applyCudaVisibleDevices(gpus, 'GPU-00000003-aaaa-bbbb-cccc-dddddddddddd, GPU-00000001');
    expect(r.gpus.map((g) => g.index)).toEqual([3, 1]);
    expect(r.visibleDevices).toEqual(['GPU-00000003-aaaa-bbbb-cccc-dddddddddddd', 'GPU-00000001']);
    expect(applyCudaVisibleDevices(gpus, 'GPU-0').gpus).toEqual([]); // ambiguous prefix
  });
  it('stops at the first entry naming no GPU, ignores duplicates', () => {
    expect(applyCudaVisibleDevices(gpus, '1,-1,2').gpus.map((g) => g.index)).toEqual([1]);
    expect(applyCudaVisibleDevices(gpus, '1,9,2').gpus.map((g) => g.index)).toEqual([1]);
    expect(applyCudaVisibleDevices(gpus, '1,1,2').visibleDevices).toEqual(['1', '2']);
  });
});

describe('cgroup parsers', () => {
  it('v2 cpu.max', () => {
    expect(parseCgroupV2CpuMax('max 100000\n')).toBeUndefined();
    expect(parseCgroupV2CpuMax('200000 100000\n')).toBe(2);
    expect(parseCgroupV2CpuMax('150000 100000')).toBe(1.5);
    expect(parseCgroupV2CpuMax('50000')).toBe(0.5);
    expect(parseCgroupV2CpuMax('garbage')).toBeUndefined();
  });
  it('v1 cfs quota', () => {
    expect(parseCgroupV1CpuQuota('-1\n', '100000\n')).toBeUndefined();
    expect(parseCgroupV1CpuQuota('400000', '100000')).toBe(4);
    expect(parseCgroupV1CpuQuota('400000', '0')).toBeUndefined();
  });
  it('memory limits (v2 max, v1 near-2^63 = unlimited)', () => {
    expect(parseCgroupMemoryLimit('max\n')).toBeUndefined();
    expect(parseCgroupMemoryLimit('9223372036854771712\n')).toBeUndefined();
    expect(parseCgroupMemoryLimit('4294967296\n')).toBe(4294967296);
    expect(parseCgroupMemoryLimit('')).toBeUndefined();
  });
  it('/proc/self/cgroup', () => {
    expect(parseProcCgroup('0::/user.slice\n4:memory:/docker/abc\n1:cpu,cpuacct:/\n')).toEqual([
      { hierarchy: 0, controllers: [], path: '/user.slice' },
      { hierarchy: 4, controllers: ['memory'], path: '/docker/abc' },
      { hierarchy: 1, controllers: ['cpu', 'cpuacct'], path: '/' },
    ]);
  });
});
