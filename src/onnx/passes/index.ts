export { type CleanupOptions, cleanup } from './cleanup.js';
export { type DeadNodeOptions, removeDeadNodes } from './dead-nodes.js';
export { type DedupeOptions, dedupeConstants } from './dedupe-constants.js';
export { type HoistOptions, hoistSharedConstants } from './hoist-shared-constants.js';
export { applied, applyToModel, declined, type GraphPass, type PassChange, type PassResult } from './pass.js';
export { mapNames, type RenameOptions, renameValues } from './rename.js';
export { sortTopologically } from './sort.js';
export { removeUnusedInitializers, type UnusedInitializerOptions } from './unused-initializers.js';
export { dropStaleValueInfo } from './value-info.js';
