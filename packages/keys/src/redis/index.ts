export {
  checkPrefix,
  connectRedis,
  type RedisClient,
  type RedisConnectionOptions,
} from "./redis-connection.js";
export { createRedisKeyStore, type RedisKeyStore, type RedisKeyStoreOptions } from "./redis-key-store.js";
export {
  createRedisSpendStore,
  type RedisSpendStore,
  type RedisSpendStoreOptions,
} from "./redis-spend-store.js";
