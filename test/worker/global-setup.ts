// Starts the recording webhook receiver (a real HTTP server in Node) for the workerd suite.
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM helper without types
import { startRecordingReceiver } from '../helpers/recording-receiver.mjs';

export default async function setup(project: TestProject) {
  const receiver = await startRecordingReceiver();
  project.provide('receiverUrl', receiver.url);
  return () => receiver.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    receiverUrl: string;
  }
}
