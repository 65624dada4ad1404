export {
  defineStoreConformance,
  type StoreConformanceCase,
  type StoreConformanceHarness,
  storeConformanceCases,
} from "./store-conformance.js";
export { createTestClock, TEST_CLOCK_START, type TestClock } from "./test-clock.js";
