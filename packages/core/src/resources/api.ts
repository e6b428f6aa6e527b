// Public names of resource accounting and scheduling, re-exported by src/index.ts. (owner: resources work)
export {};
