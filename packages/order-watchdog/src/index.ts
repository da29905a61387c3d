export { loadJourney, parseJourney, parseJourneyYaml, JourneyError, type Journey, type Stage } from './journey';
export { readConfig, type WatchdogConfig } from './config';
export { Watchdog } from './watchdog';
export { createWatchdogServer } from './server';
export type { Flag, Reason, OpenOrder, ClosedOrder } from './order';
export type { OrderView } from './page';
