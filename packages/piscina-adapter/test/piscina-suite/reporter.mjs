// node:test reporter for the Piscina-suite harness: one JSON line per finished test (runs in the
// `node --test` parent process, which keeps reporting when a test file hangs and is killed).
export default async function* reporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, nesting, file, skip, todo, details } = event.data;
    const error = details?.error;
    yield `${JSON.stringify({
      ok: event.type === 'test:pass',
      name,
      nesting,
      file: file ?? null,
      skip: skip !== undefined && skip !== false,
      todo: todo !== undefined && todo !== false,
      suite: details?.type === 'suite',
      failureType: error?.failureType ?? null,
      error: error === undefined ? null : String(error.cause?.message ?? error.message).slice(0, 400),
    })}\n`;
  }
}
