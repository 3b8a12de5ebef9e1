// The backend conformance suite: what every backend must do for the core to pull through it, checked through the
// same path a user's pull takes (Session → backend.resolve → core download → catalogue), against the backend's own
// service. It imports no test runner: `checkBackendConformance` runs every check and returns a report any runner
// can assert on, and `conformanceSuite` hands out the checks one by one for a runner that gives each its own test
// (node-test.ts does that for node:test). A failed check throws node:assert's AssertionError.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import type * as Core from '@sregistry/core';
import { type Captured, filesBelow, makeSandbox, type Sandbox, secretValues, sha256Of } from './sandbox';
import type { ConformanceOptions, ConformanceService, CoreModule } from './types';

/** One check of the suite: `run` resolves when the backend passes it and throws (an AssertionError) when not. */
export interface ConformanceCheck {
  name: string;
  timeoutMs: number;
  run(): Promise<void>;
}

/** The suite as separate steps: `setUp` before the first check, the checks in order, `tearDown` after the last. */
export interface ConformanceSuite {
  /** `backend conformance: <name>` */
  title: string;
  setUp(): Promise<void>;
  checks: ConformanceCheck[];
  tearDown(): Promise<void>;
}

export interface ConformanceResult {
  name: string;
  ok: boolean;
  /** why the check failed (an AssertionError, a timeout, or what the backend threw) */
  error?: Error;
  durationMs: number;
}

export interface ConformanceReport {
  backend: string;
  /** true when every check passed */
  ok: boolean;
  /** every check, in order (a failed set-up fails them all; a failed tear-down adds a result of its own) */
  results: ConformanceResult[];
  failures: ConformanceResult[];
  /** one line per check: `ok - <name>` or `not ok - <name>: <first line of the error>` */
  summary: string;
}

const METHOD_OF: Record<Core.Capability, keyof Core.Backend> = {
  pull: 'resolve',
  push: 'push',
  search: 'search',
  delete: 'delete',
  labels: 'labels',
};

function loadCore(): CoreModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@sregistry/core') as CoreModule;
}

/** The rejection of `promise`, which must be a UserError a user can act on: one line, a fix, exit code 1. */
async function expectUserError(core: CoreModule, promise: Promise<unknown>, what: string): Promise<Core.UserError> {
  const error = await promise.then(
    () => assert.fail(`${what}: expected a UserError, but it succeeded`),
    (e: unknown) => e,
  );
  assert.ok(core.isUserError(error), `${what}: expected a UserError, got ${(error as Error)?.stack ?? String(error)}`);
  // core's own report that the backend is broken (createBackend returned no backend, resolve answered what core
  // cannot use) is a UserError too, but not the backend's refusal the check asks for
  assert.notEqual(
    error.code,
    'EPLUGIN',
    `${what}: expected the backend's own refusal, got core's report of a broken plugin: ${error.message}`,
  );
  assert.equal(error.exitCode, 1, `${what}: exit code`);
  assert.doesNotMatch(error.message, /\n/, `${what}: the message is one line`);
  assert.ok(error.fix && !error.fix.includes('\n'), `${what}: a one-line fix is given (${error.message})`);
  return error;
}

function assertNoSecrets(secrets: string[], texts: (string | undefined)[], where: string): void {
  for (const text of texts) {
    for (const secret of secrets) assert.ok(!text?.includes(secret), `a secret value reached ${where}`);
  }
}

/** The suite's checks for one backend, to run in order between `setUp` and `tearDown`. */
export function conformanceSuite(options: ConformanceOptions): ConformanceSuite {
  const core = options.core ?? loadCore();
  const { name, module } = options;
  const timeout = options.timeoutMs ?? 60_000;
  const checks: ConformanceCheck[] = [];
  let secrets: string[] = [];
  // A check's error ends up in CI logs (the report's summary, a runner's output): the secrets the suite hands the
  // backend are masked in every one, whatever the backend (or an assertion quoting it) put into its message.
  const test = (title: string, _options: { timeout: number }, run: () => Promise<void>) => {
    checks.push({ name: title, timeoutMs: timeout, run: () => run().catch((error: unknown) => Promise.reject(masked(error, secrets))) });
  };

  let service: ConformanceService;
  let box: Sandbox;
  let first: Promise<{ result: Core.PullResult; out: Captured }> | undefined;

  const setUp = async () => {
    service = await options.start();
    box = makeSandbox(core, name, module, service);
    secrets = secretValues(service);
  };
  const tearDown = async () => {
    box?.cleanup();
    await service?.stop();
  };
  {
    /** A pull through the core as `sregistry pull` does it, with the session closed afterwards. */
    const pull = async (uri: string) => {
      const { session, out } = box.session();
      try {
        return { result: await core.pullImage(session, { uri, onEvent: core.pullPrinter(session.out) }), out };
      } finally {
        await session.close();
      }
    };
    const firstPull = () => (first ??= pull(service.image.uri));
    const expectedName = () => {
      if (service.image.stored) return service.image.stored;
      const parsed = core.parseImageName(service.image.uri, module.parseOptions ?? {});
      return { collection: parsed.collection, image: parsed.image, tag: parsed.tag };
    };
    const records = async () => {
      const { session } = box.session();
      try {
        return await (await session.catalog()).list();
      } finally {
        await session.close();
      }
    };

    test('the module exports createBackend, and its capabilities match its methods', { timeout }, async () => {
      assert.equal(typeof module.createBackend, 'function', 'createBackend is exported');
      for (const scheme of module.schemes ?? []) {
        assert.equal(scheme, scheme.toLowerCase(), `scheme ${scheme} is lower case`);
        assert.equal(box.registry.byScheme(scheme), name, `the scheme ${scheme}:// selects ${name}`);
      }
      const { session, out } = box.session();
      try {
        const backend = await box.registry.create(name, {
          settings: core.backendSettings(name, session.secrets, box.env),
          log: session.logger(),
        });
        assert.equal(backend.name, name, 'backend.name is the name it was created under');
        for (const claimed of backend.capabilities ?? []) assert.ok(core.CAPABILITIES.includes(claimed), `unknown capability ${claimed}`);
        const capabilities = core.capabilitiesOf(backend);
        assert.ok(capabilities.includes('pull'), 'the backend can pull');
        for (const capability of capabilities) {
          assert.equal(typeof backend[METHOD_OF[capability]], 'function', `${capability} is claimed, so ${METHOD_OF[capability]}() exists`);
        }
        const described = backend.describe?.();
        assert.ok(described === undefined || typeof described === 'string', 'describe() answers a string or nothing');
        assertNoSecrets(secrets, [described, out.text()], 'describe()');
      } finally {
        await session.close();
      }
    });

    test('names are parsed with its parse options, and bad names are refused before any transfer', { timeout }, async () => {
      const { session, out } = box.session();
      try {
        const active = await session.backend(service.image.uri);
        assert.equal(active.name, name, `${service.image.uri} selects ${name}`);
        const parsed = active.parse(service.image.uri);
        assert.deepEqual(parsed, core.parseImageName(service.image.uri, module.parseOptions ?? {}));
        const mixed = active.parse(`${name}://Some-Coll/Some-Image:Some-Tag`);
        const keepsCase = module.parseOptions?.lowercase === false;
        assert.equal(mixed.collection, keepsCase ? 'Some-Coll' : 'some-coll', 'case follows parseOptions.lowercase');
        const bad = [
          `${name}://../../etc/passwd`,
          `${name}://coll/na me`,
          `${name}://coll/-x`,
          `${name}://coll/name:..`,
          ...(options.badNames ?? []),
        ];
        for (const uri of bad) {
          await expectUserError(
            core,
            Promise.resolve().then(() => active.parse(uri)),
            `parsing ${JSON.stringify(uri)}`,
          );
          await expectUserError(core, core.pullImage(session, { uri }), `pulling ${JSON.stringify(uri)}`);
        }
        assert.deepEqual(
          filesBelow(box.storageDir).filter((f) => !f.startsWith('.tmp')),
          [],
          'nothing was stored',
        );
        assertNoSecrets(secrets, [out.text()], 'the output');
      } finally {
        await session.close();
      }
    });

    test('a pull stores the bytes at the layout path', { timeout }, async () => {
      const { result, out } = await firstPull();
      const want = expectedName();
      const layout = core.storagePath(box.storageDir, { ...want, version: result.version, uri: result.uri });
      assert.equal(result.path, layout, 'stored at <storage>/<collection>/<name>/<tag>@<version>.sif');
      assert.equal(sha256Of(result.path), service.image.sha256, 'the stored bytes are the image');
      assert.equal(result.sha256, service.image.sha256, 'the reported sha256 is the image');
      if (service.image.size !== undefined) assert.equal(fs.statSync(result.path).size, service.image.size);
      assert.equal(result.backend, name);
      assert.equal(result.created, true);
      assert.match(out.stdout.join(''), /^\[container\]\[new\] .+\nSuccess! .+$/m);
      assertNoSecrets(secrets, [out.text()], 'the output');
    });

    test('the pull is catalogued: client, version and the service manifest', { timeout }, async () => {
      const { result } = await firstPull();
      const want = expectedName();
      const rows = (await records()).filter((r) => r.collection === want.collection && r.name === want.image && r.tag === want.tag);
      assert.equal(rows.length, 1, 'one record');
      const [row] = rows;
      assert.equal(row.client, name, 'client is the backend name');
      assert.equal(row.version, result.version);
      if (service.image.version !== undefined) assert.equal(row.version, service.image.version, 'the version the service states');
      assert.ok(row.version, 'a version is recorded');
      assert.equal(row.image, result.path);
      assert.equal(row.uri, `${want.collection}/${want.image}:${want.tag}@${row.version}`);
      const manifest = row.metrics.manifest;
      assert.ok(
        manifest && typeof manifest === 'object' && Object.keys(manifest).length > 0,
        'metrics.manifest keeps the service manifest',
      );
      assertNoSecrets(secrets, [JSON.stringify(row)], 'the record');
    });

    test('pulling again updates the same record and file', { timeout }, async () => {
      const { result: before } = await firstPull();
      const { result, out } = await pull(service.image.uri);
      assert.equal(result.created, false, 'an update, not a new record');
      assert.match(out.stdout.join(''), /^\[container\]\[update\] /m);
      assert.equal(result.path, before.path);
      assert.equal(sha256Of(result.path), service.image.sha256);
      const want = expectedName();
      const rows = (await records()).filter((r) => r.collection === want.collection && r.name === want.image && r.tag === want.tag);
      assert.equal(rows.length, 1, 'still one record');
      const folder = path.dirname(result.path);
      assert.deepEqual(fs.readdirSync(folder), [path.basename(result.path)], 'one file for the image, no leftovers beside it');
    });

    test('a missing image fails with one line and a fix, leaving no file and no record', { timeout }, async () => {
      const before = (await records()).length;
      const { session, out } = box.session();
      let error: Core.UserError;
      try {
        error = await expectUserError(
          core,
          core.pullImage(session, { uri: service.missing, onEvent: core.pullPrinter(session.out) }),
          `pulling ${service.missing}`,
        );
      } finally {
        await session.close();
      }
      assertNoSecrets(secrets, [error.message, error.fix, out.text()], 'the error');
      assert.equal((await records()).length, before, 'no record was added');
      const tmp = path.join(box.storageDir, '.tmp');
      // `.tmp/last-sweep` is core's marker of the last temp sweep (storage/names.ts), not a download
      const partial = filesBelow(tmp).filter((f) => f !== 'last-sweep');
      assert.deepEqual(partial, [], 'no partial download is left in .tmp');
      const missing = core.parseImageName(service.missing, module.parseOptions ?? {});
      const folder = path.join(box.storageDir, ...missing.collection.split('/'), missing.image);
      const leftovers = filesBelow(folder).filter((f) => f.startsWith(`${missing.tag}@`) || f.startsWith('.'));
      assert.deepEqual(leftovers, [], 'no file for the missing image');
    });
  }
  return { title: `backend conformance: ${name}`, setUp, checks, tearDown };
}

/** Rejects after `ms` unless `promise` settles first. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/**
 * Runs the whole suite against one backend and reports every check; it rejects only if the options are unusable,
 * never because the backend failed a check. Assert on `report.ok` (or `report.failures`) with any test runner.
 */
export async function checkBackendConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const suite = conformanceSuite(options);
  const results: ConformanceResult[] = [];
  const timeout = options.timeoutMs ?? 60_000;
  const setUpError = await within(suite.setUp(), timeout, 'starting the service').then(
    () => undefined,
    (error: unknown) => asError(error),
  );
  try {
    for (const check of suite.checks) {
      if (setUpError) {
        results.push({
          name: check.name,
          ok: false,
          error: new Error(`not run: the set-up failed: ${setUpError.message}`, { cause: setUpError }),
          durationMs: 0,
        });
        continue;
      }
      const begin = Date.now();
      const error = await within(check.run(), check.timeoutMs, check.name).then(
        () => undefined,
        (e: unknown) => asError(e),
      );
      results.push({ name: check.name, ok: !error, ...(error ? { error } : {}), durationMs: Date.now() - begin });
    }
  } finally {
    const begin = Date.now();
    const error = await within(suite.tearDown(), timeout, 'stopping the service').then(
      () => undefined,
      (e: unknown) => asError(e),
    );
    if (error) results.push({ name: 'stopping the service', ok: false, error, durationMs: Date.now() - begin });
  }
  const failures = results.filter((r) => !r.ok);
  const summary = results.map((r) => (r.ok ? `ok - ${r.name}` : `not ok - ${r.name}: ${failureLine(r.error)}`)).join('\n');
  return { backend: options.name, ok: failures.length === 0, results, failures, summary };
}

/**
 * One line for a failed check: the error's first line and, for an assertion, what it got and expected (node's own
 * message keeps them on later lines, and a message given to assert.equal leaves them out).
 */
function failureLine(error: Error | undefined): string {
  const first = String(error?.message ?? error).split('\n')[0] ?? '';
  if (!(error instanceof assert.AssertionError) || error.operator === 'fail') return first;
  const shown = (value: unknown) => {
    const text = inspect(value, { depth: 2, breakLength: Number.POSITIVE_INFINITY });
    return text.length > 160 ? `${text.slice(0, 160)}…` : text;
  };
  const expected: Record<string, string> = {
    match: `to match ${shown(error.expected)}`,
    doesNotMatch: `not to match ${shown(error.expected)}`,
    notStrictEqual: `anything but ${shown(error.expected)}`,
    notDeepStrictEqual: `anything but ${shown(error.expected)}`,
  };
  // assert.ok's expected is just `true`
  if (error.operator === '==') return `${first} (got ${shown(error.actual)})`;
  return `${first} (got ${shown(error.actual)}, expected ${expected[error.operator] ?? shown(error.expected)})`;
}

/** `text` with every secret replaced by `***`. */
function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}

/**
 * The error as it may be shown: the same error when it holds no secret, else a new one of the same kind (an
 * AssertionError stays one) with the secrets masked in its message and stack, and without what would quote them
 * again (an assertion's actual and expected values, the cause).
 */
function masked(error: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0) return error;
  const err = error instanceof Error ? error : new Error(String(error));
  const texts = [
    err.message,
    err.stack ?? '',
    safeJson((err as { actual?: unknown }).actual),
    safeJson((err as { expected?: unknown }).expected),
  ];
  const causeText = err.cause instanceof Error ? `${err.cause.message}\n${err.cause.stack ?? ''}` : safeJson(err.cause);
  if (!secrets.some((secret) => secret && [...texts, causeText].some((t) => t.includes(secret)))) return error;
  const message = maskSecrets(err.message, secrets);
  const copy = err instanceof assert.AssertionError ? new assert.AssertionError({ message }) : new Error(message);
  if (err.name !== copy.name) copy.name = err.name;
  copy.stack = maskSecrets(err.stack ?? `${err.name}: ${err.message}`, secrets);
  return copy;
}

function safeJson(value: unknown): string {
  if (value === undefined) return '';
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
