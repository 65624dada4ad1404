export { isLoopback, type Observability, startObservability } from "./admin-routes.js";
export { buildGateway } from "./build-gateway.js";
export { main } from "./cli.js";
export { configSchema, type SwitchyardConfig } from "./config-schema.js";
export { interpolateEnv } from "./interpolate-env.js";
export { defaultConfig, loadConfig, parseConfig } from "./load-config.js";
