// Public names of the options model, re-exported by src/index.ts. (owner: options work)
export {};
