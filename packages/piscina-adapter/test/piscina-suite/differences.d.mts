export const differences: { file: string; name: string; reason: string }[];
