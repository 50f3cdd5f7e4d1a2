/** The Worker's limits that the SDK enforces before sending (contract-check.ts keeps them equal). */
export const LIMITS = {
  maxBodyBytes: 65536,
  maxEventsPerBatch: 50,
  maxUrlLength: 2048,
  maxPathLength: 1024,
  maxTitleLength: 300,
  maxTopicsPerEvent: 10,
  maxTopicLength: 64,
  maxProps: 25,
  maxPropKeyLength: 64,
  maxPropStringLength: 500,
  maxPropArrayLength: 20,
  maxCustomTraits: 25,
  maxTrackNameLength: 64,
  maxUserIdLength: 256,
  maxLinkTokenLength: 1024,
} as const;
