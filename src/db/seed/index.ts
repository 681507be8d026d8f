export {
  CATALOGUE_VERSION,
  MODULE_TITLES,
  PROGRAMME_PLANS,
  planProgramme,
  seedCatalogue,
  type Executor,
  type PlannedActivity,
  type PlannedModule,
  type ProgrammePlan,
} from './catalogue.js';
export {
  DEFAULT_DEMO_NOW,
  DEFAULT_DEMO_SEED,
  DEMO_PASSWORD,
  DEMO_PROGRAMMES,
  DEMO_SIGN_INS,
  DEMO_YEARS,
  FEATURED_PARTICIPANTS,
  isDatabaseEmpty,
  seedDemo,
  type DemoSeedOptions,
  type DemoSeedSummary,
  type DemoSignIn,
} from './demo.js';
export { mulberry32, Random } from './random.js';
