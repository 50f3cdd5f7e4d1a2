/** Reported in every batch's context.library. */
export const VERSION = '0.1.0';
