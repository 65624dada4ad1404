// The probe and helpers live in @switchyard/testing; this file keeps the tests' imports short.
export { redisSkipReason, redisUrl, uniquePrefix } from "@switchyard/testing/redis";
