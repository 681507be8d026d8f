import {
  createEngagementAnswerWarmer,
  type EngagementAnswerWarmer,
} from '../../src/services/engagement/answers.js';
import { serializeEngagementAnswer } from '../../src/web/api/engagement.js';
import { createDemoWorld, type DemoWorld } from './demo-world.js';

/**
 * A demo world whose app stores engagement answers only when its warmer is flushed (issue 13: the
 * API's stored answers and My programme's held page), and that records the statements a piece of
 * work sends.
 */
export interface AnsweringWorld {
  w: DemoWorld;
  warmer: EngagementAnswerWarmer;
  /** Runs `work`, returning what it returned and every statement sent meanwhile. */
  recorded<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }>;
}

export async function createAnsweringWorld(): Promise<AnsweringWorld> {
  let recording: string[] | null = null;
  let warmer: EngagementAnswerWarmer | undefined;
  const w = await createDemoWorld({
    onQuery: (statement) => recording?.push(statement),
    engagementAnswers: ({ db, clock }) =>
      (warmer = createEngagementAnswerWarmer({ db, clock, serialize: serializeEngagementAnswer })),
  });
  if (!warmer) throw new Error('the demo world made no engagement answer warmer');
  return {
    w,
    warmer,
    async recorded(work) {
      const statements: string[] = [];
      recording = statements;
      try {
        return { result: await work(), statements };
      } finally {
        recording = null;
      }
    },
  };
}
