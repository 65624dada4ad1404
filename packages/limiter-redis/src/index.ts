export { scripts } from "./lua/scripts.js";
export { type HashTagMode, hashTagOf, limitKey } from "./redis-keys.js";
export {
  createRedisStore,
  type RedisClient,
  type RedisStore,
  type RedisStoreOptions,
} from "./redis-store.js";
