/**
 * The script-tag entry (IIFE): reads the tag's data attributes, installs the one global
 * `window.leadedge`, and replays calls queued by the snippet stub, in order.
 */
import { createClient } from './client';
import { configFromAttributes } from './config';
import { safe } from './safe';
import type { LeadEdge } from './types';

type Stub = [keyof LeadEdge, ...unknown[]][];

safe(() => {
  const w = window as unknown as { leadedge?: LeadEdge | Stub };
  const stub = w.leadedge;
  if (stub && !Array.isArray(stub)) return; // loaded twice: keep the first
  const script = (document.currentScript ?? document.querySelector('script[data-site]')) as HTMLScriptElement | null;
  if (!script) return;
  const client = createClient(configFromAttributes(script.dataset, script.src));
  w.leadedge = client;
  for (const [method, ...args] of stub ?? []) (client[method] as ((...a: unknown[]) => void) | undefined)?.(...args);
})();
