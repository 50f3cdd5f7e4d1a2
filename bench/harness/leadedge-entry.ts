/**
 * Bench-only entry for the real Worker: the same app and Durable Objects as worker/index.ts, plus two
 * GET probes the sections read: `/__bench/db-size?site=&aid=` (a visitor's, or without `aid` the site's,
 * SQLite database size) and, when BENCH_COUNT=1, `/__bench/counts[?reset]` (Worker requests, Durable
 * Object requests, SQL statements, rows written and read, alarm writes: what the cost section prices).
 * With counting off, a beacon meets the real Worker and objects plus one counter increment.
 */
import app from '../../worker/index';
import { DirectoryObject as RealDirectory, InstanceObject as RealInstance, SiteObject as RealSite, VisitorObject as RealVisitor } from '../../worker/index';
import type { DurableObject } from 'cloudflare:workers';
import type { Env } from '../../worker/env';

type BenchEnv = Env & { BENCH_COUNT?: string };
type Cursor = SqlStorageCursor<Record<string, SqlStorageValue>>;

/** Shared by the Worker and its objects: workerd runs them in one isolate locally. */
const fresh = () => ({ workerRequests: 0, doRequests: {} as Record<string, number>, alarms: 0, alarmWrites: 0, sqlStatements: 0, rowsWritten: 0, rowsRead: 0 });
let counts = fresh();
/** Cursors whose rows are summed when the counts are read (a cursor's counts are final once its statement ran). */
const cursors: Cursor[] = [];

function snapshot() {
  for (const c of cursors.splice(0)) {
    counts.rowsWritten += c.rowsWritten;
    counts.rowsRead += c.rowsRead;
  }
  return structuredClone(counts);
}

/** Every RPC method call on a stub is one billed Durable Object request: counted at the caller. */
function countingNamespace<T extends DurableObjectNamespace<any>>(ns: T, label: string): T {
  const counted = (stub: object) =>
    new Proxy(stub, {
      get(target, method) {
        const fn = Reflect.get(target, method, target);
        if (typeof method !== 'string' || typeof fn !== 'function') return fn;
        return (...args: unknown[]) => {
          counts.doRequests[`${label}.${method}`] = (counts.doRequests[`${label}.${method}`] ?? 0) + 1;
          return Reflect.apply(fn, target, args); // not fn.apply: on a stub, `.apply` is itself an RPC method name
        };
      },
    });
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return prop === 'get' ? (...args: unknown[]) => counted(Reflect.apply(value, target, args)) : value.bind(target);
    },
  });
}

const countingEnv = (env: BenchEnv): BenchEnv =>
  env.BENCH_COUNT !== '1'
    ? env
    : { ...env, VISITOR: countingNamespace(env.VISITOR, 'VisitorObject'), SITE: countingNamespace(env.SITE, 'SiteObject'), DIRECTORY: countingNamespace(env.DIRECTORY, 'DirectoryObject'), INSTANCE: countingNamespace(env.INSTANCE, 'InstanceObject') };

/** Counts one object's SQL statements, their rows, and its alarm writes (each billed as a row written). */
function instrument(ctx: DurableObjectState, env: BenchEnv) {
  if (env.BENCH_COUNT !== '1') return;
  const { storage } = ctx;
  const exec = storage.sql.exec.bind(storage.sql);
  (storage.sql as { exec: unknown }).exec = (query: string, ...bindings: unknown[]) => {
    const cursor = exec(query, ...bindings);
    counts.sqlStatements++;
    cursors.push(cursor);
    return cursor;
  };
  for (const name of ['setAlarm', 'deleteAlarm'] as const) {
    const real = storage[name].bind(storage) as (...a: unknown[]) => Promise<void>;
    (storage as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
      counts.alarmWrites++;
      return real(...a);
    };
  }
}

/** The real object class, counting (when on) and with a database-size probe; the subclass adds methods only. */
function benched<C extends new (...args: any[]) => DurableObject<Env>>(Real: C) {
  return class extends Real {
    constructor(...args: any[]) {
      instrument(args[0], args[1]);
      super(args[0], countingEnv(args[1]));
    }
    /** Alarm invocations are billed as Durable Object requests. */
    override async alarm() {
      counts.alarms++;
      return super.alarm?.();
    }
    /** Bytes of this object's SQLite database (what Cloudflare bills as stored data). */
    benchDatabaseSize(): number {
      return this.ctx.storage.sql.databaseSize;
    }
  };
}

export const VisitorObject = benched(RealVisitor);
export const SiteObject = benched(RealSite);
export const DirectoryObject = benched(RealDirectory);
export const InstanceObject = benched(RealInstance);

export default {
  fetch(request: Request<unknown, IncomingRequestCfProperties>, env: BenchEnv, ctx: ExecutionContext): Response | Promise<Response> {
    // A beacon (POST) is handed on without a look at its URL or an extra async frame, so the sections time the
    // Worker, not this entry (reading request.url alone cost about 6 µs a beacon).
    if (request.method !== 'GET' || !request.url.includes('/__bench/')) {
      counts.workerRequests++;
      return app.fetch(request, countingEnv(env), ctx);
    }
    return probe(new URL(request.url), env);
  },
} satisfies ExportedHandler<BenchEnv>;

async function probe(url: URL, env: BenchEnv): Promise<Response> {
  if (url.pathname === '/__bench/counts') {
    const body = snapshot();
    if (url.searchParams.has('reset')) counts = fresh();
    return Response.json(body);
  }
  const site = url.searchParams.get('site')!;
  const aid = url.searchParams.get('aid');
  const stub = aid ? env.VISITOR.get(env.VISITOR.idFromName(`${site}/${aid}`)) : env.SITE.get(env.SITE.idFromName(site));
  return Response.json({ bytes: await (stub as unknown as { benchDatabaseSize(): Promise<number> }).benchDatabaseSize() });
}
