/**
 * Cloudflare list prices the cost section uses (USD, Workers Paid plan, beyond the included monthly
 * allowances), read from stored copies of the docs below; check them again before quoting.
 */
export const PRICES_READ = '2026-11-23';

export const CLOUDFLARE = {
  workerRequestsPerMillion: 0.3,
  workerCpuPerMillionMs: 0.02,
  doRequestsPerMillion: 0.15,
  doDurationPerMillionGbS: 12.5,
  doMemoryGb: 0.128,
  sqlRowsWrittenPerMillion: 1.0,
  sqlRowsReadPerMillion: 0.001,
  sqlStoragePerGbMonth: 0.2,
};

export const SOURCES = [
  'https://developers.cloudflare.com/workers/platform/pricing/',
  'https://developers.cloudflare.com/durable-objects/platform/pricing/',
];
