/**
 * Bench-only entry for the real Worker: the same app and Durable Objects as worker/index.ts, plus
 * probes the benchmarks read (database size per visitor, and, when BENCH_COUNT=1, counts of
 * Worker requests, Durable Object requests, SQL rows written and setAlarm calls).
 * Nothing here changes the hot path when counting is off: the subclasses add methods only.
 */
import app from '../../worker/index';
import { DirectoryObject as RealDirectoryObject, InstanceObject as RealInstanceObject, SiteObject as RealSiteObject, VisitorObject as RealVisitorObject } from '../../worker/index';
import type { Env } from '../../worker/env';

type BenchEnv = Env & { BENCH_COUNT?: string };

/** Shared by the Worker and its Durable Objects: workerd runs them in one isolate locally. */
const counts = {
  workerRequests: 0,
  doRequests: {} as Record<string, number>,
  alarms: 0,
  setAlarm: 0,
  deleteAlarm: 0,
  sqlStatements: 0,
  rowsWritten: 0,
  rowsRead: 0,
  /** Per SQL statement (whitespace-collapsed, first 90 characters): where the rows go. */
  byStatement: {} as Record<string, { n: number; rowsWritten: number; rowsRead: number }>,
};
/** Cursors whose rows are summed when the counts are read (rowsWritten is final once a statement ran). */
let cursors: [string, SqlStorageCursor<Record<string, SqlStorageValue>>][] = [];

const bump = (key: string) => {
  counts.doRequests[key] = (counts.doRequests[key] ?? 0) + 1;
};

function snapshot() {
  for (const [key, c] of cursors) {
    counts.rowsWritten += c.rowsWritten;
    counts.rowsRead += c.rowsRead;
    const s = (counts.byStatement[key] ??= { n: 0, rowsWritten: 0, rowsRead: 0 });
    s.n++;
    s.rowsWritten += c.rowsWritten;
    s.rowsRead += c.rowsRead;
  }
  cursors = [];
  return structuredClone(counts);
}

function reset() {
  snapshot();
  counts.workerRequests = 0;
  counts.doRequests = {};
  counts.alarms = 0;
  counts.setAlarm = 0;
  counts.deleteAlarm = 0;
  counts.sqlStatements = 0;
  counts.rowsWritten = 0;
  counts.rowsRead = 0;
  counts.byStatement = {};
}

/** Every RPC method call on a stub is one billed Durable Object request: count them at the caller. */
function countingNamespace<T extends DurableObjectNamespace<any>>(ns: T, label: string): T {
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop !== 'get' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => {
        const stub = Reflect.apply(value, target, args);
        return new Proxy(stub, {
          get(s, method) {
            const fn = Reflect.get(s, method, s);
            if (typeof method !== 'string' || typeof fn !== 'function') return fn;
            return (...a: unknown[]) => {
              bump(`${label}.${method}`);
              return Reflect.apply(fn, s, a); // not fn.apply: on a stub, `.apply` is itself an RPC method name
            };
          },
        });
      };
    },
  }) as T;
}

function countingEnv(env: BenchEnv): BenchEnv {
  if (env.BENCH_COUNT !== '1') return env;
  return {
    ...env,
    VISITOR: countingNamespace(env.VISITOR, 'VisitorObject'),
    SITE: countingNamespace(env.SITE, 'SiteObject'),
    DIRECTORY: countingNamespace(env.DIRECTORY, 'DirectoryObject'),
    INSTANCE: countingNamespace(env.INSTANCE, 'InstanceObject'),
  };
}

/** Counts SQL statements, their rows and alarm writes of one object's storage (counting mode only). */
function instrumentStorage(ctx: DurableObjectState, env: BenchEnv) {
  if (env.BENCH_COUNT !== '1') return;
  const sql = ctx.storage.sql;
  const exec = sql.exec.bind(sql);
  (sql as { exec: unknown }).exec = (query: string, ...bindings: unknown[]) => {
    const cursor = exec(query, ...bindings);
    counts.sqlStatements++;
    cursors.push([query.replace(/\s+/g, ' ').trim().slice(0, 90), cursor]);
    return cursor;
  };
  const storage = ctx.storage;
  const setAlarm = storage.setAlarm.bind(storage);
  (storage as { setAlarm: unknown }).setAlarm = (...a: Parameters<typeof setAlarm>) => {
    counts.setAlarm++;
    return setAlarm(...a);
  };
  const deleteAlarm = storage.deleteAlarm.bind(storage);
  (storage as { deleteAlarm: unknown }).deleteAlarm = (...a: Parameters<typeof deleteAlarm>) => {
    counts.deleteAlarm++;
    return deleteAlarm(...a);
  };
}

export class VisitorObject extends RealVisitorObject {
  constructor(ctx: DurableObjectState, env: BenchEnv) {
    instrumentStorage(ctx, env);
    super(ctx, countingEnv(env));
  }

  override async alarm() {
    counts.alarms++;
    return super.alarm();
  }

  /** Bytes of this visitor's SQLite database (what Cloudflare bills as stored data). */
  benchDatabaseSize(): number {
    return this.ctx.storage.sql.databaseSize;
  }
}

export class SiteObject extends RealSiteObject {
  constructor(ctx: DurableObjectState, env: BenchEnv) {
    instrumentStorage(ctx, env);
    super(ctx, countingEnv(env));
  }

  benchDatabaseSize(): number {
    return this.ctx.storage.sql.databaseSize;
  }
}

/** A site's visitor directory (first-visit counts): its rows written count too. */
export class DirectoryObject extends RealDirectoryObject {
  constructor(ctx: DurableObjectState, env: BenchEnv) {
    instrumentStorage(ctx, env);
    super(ctx, countingEnv(env));
  }
}

export class InstanceObject extends RealInstanceObject {
  constructor(ctx: DurableObjectState, env: BenchEnv) {
    instrumentStorage(ctx, env);
    super(ctx, countingEnv(env));
  }
}

export default {
  fetch(request: Request, env: BenchEnv, ctx: ExecutionContext): Response | Promise<Response> {
    // Probes are GETs: a beacon (POST) is handed on without a look at its URL or an extra async frame, so the
    // benchmarks time the Worker, not this entry (reading request.url alone cost about 6 µs a beacon).
    if (request.method !== 'GET' || !request.url.includes('/__bench/')) {
      counts.workerRequests++;
      return app.fetch(request, countingEnv(env), ctx);
    }
    return probe(request, env);
  },
} satisfies ExportedHandler<BenchEnv>;

async function probe(request: Request, env: BenchEnv): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === '/__bench/counts') {
    const body = snapshot();
    if (url.searchParams.has('reset')) reset();
    return Response.json(body);
  }
  if (url.pathname === '/__bench/db-size') {
    const site = url.searchParams.get('site')!;
    const aid = url.searchParams.get('aid');
    const stub = aid ? env.VISITOR.get(env.VISITOR.idFromName(`${site}/${aid}`)) : env.SITE.get(env.SITE.idFromName(site));
    return Response.json({ bytes: await (stub as unknown as { benchDatabaseSize(): Promise<number> }).benchDatabaseSize() });
  }
  return new Response('no such probe', { status: 404 });
}
