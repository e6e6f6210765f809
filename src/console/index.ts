export { registerConsole, findConsoleAssets } from './registerConsole.js';
export type { ConsoleAssets } from './registerConsole.js';
