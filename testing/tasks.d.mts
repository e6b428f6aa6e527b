/** Folder holding the per-key counters (TASKFIT_BEHAVIOUR_DIR or `<tmpdir>/taskfit-behaviour`). */
export declare function scratchDir(): string;
export declare function echo<T>(value: T): Promise<T>;
export declare function add(a: number, b: number): Promise<number>;
export declare function pair<A, B>(a: A, b: B): Promise<[A, B]>;
export declare function touch(key: string): Promise<void>;
export declare function failTimes(key: string, times: number, errorName: string): Promise<number>;
export declare function throwNamed(errorName: string, message: string): Promise<never>;
export declare function crashOnce<T>(key: string, value: T): Promise<T>;
export declare function sleep<T>(ms: number, value: T): Promise<T>;
export declare function span(ms: number): Promise<{ start: number; end: number }>;
export declare function whereAmI(): Promise<string>;
export declare function rendezvous(key: string, parties: number, timeoutMs: number): Promise<boolean>;
export declare function fib(n: number): Promise<number>;
export declare function fanOutSpans(
  n: number,
  ms: number,
  childOptions?: Record<string, unknown>,
): Promise<{ start: number; end: number }[]>;
export declare function holdUntil(key: string, timeoutMs?: number): Promise<true>;
export declare function parentOfHold(key: string, childOptions?: Record<string, unknown>): Promise<true>;
export declare function failViaChild(key: string, errorName: string): Promise<number>;
