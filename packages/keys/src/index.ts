export {
  type AdminHandler,
  type AdminHandlerOptions,
  type AdminKeyView,
  createAdminHandler,
} from "./admin-handler.js";
export {
  type BudgetDecision,
  type BudgetLedger,
  type BudgetLedgerOptions,
  type BudgetLine,
  type BudgetOwner,
  type BudgetPeriod,
  type BudgetRefusal,
  type BudgetReservation,
  type BudgetStatus,
  createBudgetLedger,
  FOREVER_MS,
  msToNextMonth,
} from "./budget-ledger.js";
export { createFileKeyStore, type FileKeyStoreOptions } from "./file-key-store.js";
export { generateKeyId, generateKeySecret, isVirtualKey, KEY_PREFIX, presentedKey } from "./key-format.js";
export {
  type BudgetLimits,
  budgetLimitsSchema,
  type KeyChanges,
  type KeyMetadata,
  type KeyRateLimits,
  keyFieldsSchema,
  keyRateLimitsSchema,
  keyStatus,
  publicKey,
  type StoredKey,
  storedKeySchema,
  type VirtualKey,
} from "./key-record.js";
export {
  type CreatedKey,
  createKey,
  createMemoryKeyStore,
  type KeyStore,
  type NewKey,
  revokeKey,
} from "./key-store.js";
export { KEYS_HELP, type KeysCommandIo, runKeysCommand } from "./keys-command.js";
export {
  createKeysFromConfig,
  type KeysConfig,
  type KeysSetup,
  type KeysSetupOptions,
  keyFilePath,
  keysConfigSchema,
  type OpenKeyStoreOptions,
  openKeyStore,
} from "./keys-config.js";
export { compileModelPatterns, type ModelMatcher } from "./model-patterns.js";
export {
  formatCostHeader,
  formatUsd,
  micros,
  modelPriceSchema,
  type PriceOverrides,
  priceOfTarget,
  usageMicros,
  usdToMicros,
} from "./pricing.js";
export {
  createMemorySpendStore,
  daysBetween,
  MAX_QUERY_DAYS,
  type SpendGrouping,
  type SpendQuery,
  type SpendRecord,
  type SpendStore,
  type SpendTotal,
  summarizeSpend,
  utcDay,
  utcMonth,
} from "./spend-store.js";
export {
  createVirtualKeysPlugin,
  getVirtualKey,
  KEYS_METRICS,
  type VirtualKeysOptions,
  type VirtualKeysPlugin,
} from "./virtual-keys-plugin.js";
