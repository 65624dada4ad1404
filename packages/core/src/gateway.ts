import { EventEmitter } from "eventemitter3";
import { z } from "zod";
import { Admission, type OverloadOptions } from "./admission.js";
import { EndpointStatsRegistry } from "./endpoint-stats.js";
import { SwitchyardError } from "./errors.js";
import type { GatewayEvents } from "./gateway-events.js";
import { createGatewayHooks, type GatewayHooks } from "./gateway-hooks.js";
import type { GatewayHttpRequest, GatewayHttpResponse } from "./http-types.js";
import type { DialectRouteHandler, InboundDialect } from "./inbound-dialect.js";
import { createJsonLogger, type Logger } from "./logger.js";
import { parseOptions } from "./options.js";
import { handleHttpRequest, type PipelineRuntime } from "./pipeline.js";
import type { Plugin } from "./plugin.js";
import type { ModelInfo, Operation, Provider } from "./provider.js";
import { createRetryPlugin, type RetryOptions } from "./retry-plugin.js";
import { createRouterPlugin } from "./router-plugin.js";
import { createTelemetryPlugin, type TelemetryOptions } from "./telemetry/telemetry-plugin.js";
import { type TimeoutOptions, Transport, type TransportOptions } from "./transport.js";

/** Options of `createGateway`. */
export interface GatewayOptions {
  /** Provider plugins; more can be added with `addProvider` before start. */
  providers?: readonly Provider[];
  /** Inbound dialects besides OpenAI Chat Completions (e.g. Anthropic Messages); more with `addDialect`. */
  dialects?: readonly InboundDialect[];
  /** Plugins, applied in order at construction; more with `use` before start. */
  plugins?: readonly Plugin[];
  /** Refuse requests no `authenticate` tap recognised (401). @default false */
  requireAuth?: boolean;
  /** Largest accepted request body in bytes. @default 10485760 (10 MiB) */
  bodyLimitBytes?: number;
  /** Overload protection: a cap on in-flight requests with a bounded wait queue; beyond it, 503. */
  overload?: Partial<OverloadOptions>;
  /** Upstream timeouts. */
  timeouts?: Partial<TimeoutOptions>;
  /** undici transport settings. */
  transport?: Omit<TransportOptions, "timeouts">;
  /** The built-in retry policy's settings, or `false` to install none. @default {} */
  retry?: RetryOptions | false;
  /** Where the gateway logs. @default a JSON-lines logger on stderr at "info" */
  logger?: Logger;
  /**
   * OpenTelemetry spans and metrics (a no-op until an SDK is registered, e.g. by `@switchyard/otel`) and a
   * log line per request, or `false` to install none. @default {}
   */
  telemetry?: TelemetryOptions | false;
}

const gatewayOptionsSchema = z.object({
  requireAuth: z.boolean().default(false),
  bodyLimitBytes: z
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  overload: z
    .object({
      maxInFlight: z.number().int().nonnegative().default(0),
      maxQueue: z.number().int().nonnegative().default(0),
      queueTimeoutMs: z.number().int().positive().default(5_000),
    })
    .strict()
    .default({ maxInFlight: 0, maxQueue: 0, queueTimeoutMs: 5_000 }),
  timeouts: z
    .object({
      connectMs: z.number().positive().optional(),
      firstByteMs: z.number().positive().optional(),
      idleMs: z.number().positive().optional(),
      totalMs: z.number().positive().optional(),
      firstTokenMs: z.number().positive().optional(),
    })
    .strict()
    .default({}),
});

const OPENAI_PATHS = new Set([
  "/v1/chat/completions",
  "/v1/completions",
  "/v1/embeddings",
  "/v1/models",
  "/health",
]);

/** Where a gateway is in its life. */
export type GatewayState = "created" | "starting" | "started" | "draining" | "closed";

/**
 * A Switchyard gateway: the hooks, the providers, the pipeline. Plugins tap `hooks` before `start()`;
 * adapters turn HTTP into `handle()` calls.
 */
export class Gateway {
  /** Every extension point. Frozen; taps are refused once the gateway has started. */
  readonly hooks: GatewayHooks;
  /** Notifications for applications (request start/end, failed attempts). */
  readonly events = new EventEmitter<GatewayEvents>();
  readonly logger: Logger;
  /** Live per-endpoint numbers (in flight, latency EWMA and p95, failure streak) for balancers and breakers. */
  readonly endpointStats = new EndpointStatsRegistry();
  private readonly providerMap = new Map<string, Provider>();
  private readonly pluginNames = new Set<string>();
  private readonly modelsByProvider = new Map<Provider, Map<string, ModelInfo>>();
  private readonly modelOwners = new Map<string, { provider: Provider; info: ModelInfo }>();
  private readonly advertised = new Map<string, string>();
  private readonly dialectMap = new Map<string, InboundDialect>();
  private readonly dialectRoutes = new Map<
    string,
    | { readonly dialect: InboundDialect; readonly operation: Operation }
    | { readonly dialect: InboundDialect; readonly handler: DialectRouteHandler }
  >();
  private readonly settings: Readonly<z.infer<typeof gatewayOptionsSchema>>;
  private readonly transport: Transport;
  private readonly runtime: PipelineRuntime;
  private currentState: GatewayState = "created";
  private starting: Promise<void> | undefined;
  private readonly admission: Admission;
  private idleWaiters: Array<() => void> = [];

  constructor(options: GatewayOptions = {}) {
    const { providers, plugins, logger, transport, retry, telemetry, dialects, ...scalar } = options;
    this.settings = parseOptions(gatewayOptionsSchema, scalar, "gateway");
    this.logger = logger ?? createJsonLogger();
    this.hooks = createGatewayHooks();
    // Taps are refused after start by wrapping the tap methods, not with a tapable interceptor: an
    // interceptor would make every hook report `isUsed()` and switch off the pipeline's fast paths.
    for (const hook of Object.values(this.hooks) as Array<Record<string, unknown> & { name?: string }>) {
      for (const method of ["tap", "tapAsync", "tapPromise"] as const) {
        const original = hook[method];
        if (typeof original !== "function") continue;
        hook[method] = (options: string | { name: string }, fn: unknown) => {
          if (this.currentState !== "created") {
            const name = typeof options === "string" ? options : options.name;
            throw new SwitchyardError(
              "SWY_ERR_PLUGIN_LATE_TAP",
              `'${name}' tapped ${hook.name ?? "a hook"} after the gateway started; tap hooks in a plugin's apply().`,
            );
          }
          return original.call(hook, options, fn);
        };
      }
    }
    this.admission = new Admission(this.settings.overload);
    this.transport = new Transport({ ...transport, timeouts: this.settings.timeouts });
    this.runtime = this.createRuntime();
    for (const provider of providers ?? []) this.addProvider(provider);
    for (const dialect of dialects ?? []) this.addDialect(dialect);
    this.use(createRouterPlugin());
    if (retry !== false) this.use(createRetryPlugin(retry ?? {}));
    if (telemetry !== false) this.use(createTelemetryPlugin(telemetry ?? {}));
    for (const plugin of plugins ?? []) this.use(plugin);
  }

  /** Where the gateway is in its life. */
  get state(): GatewayState {
    return this.currentState;
  }

  /** Requests (and streams) being served right now. */
  get inFlight(): number {
    return this.admission.inFlight;
  }

  /** Providers by name. */
  get providers(): ReadonlyMap<string, Provider> {
    return this.providerMap;
  }

  /** Applies a plugin. Only before start. */
  use(plugin: Plugin): this {
    this.assertConfigurable(`use(${plugin?.name})`);
    if (
      !plugin ||
      typeof plugin.name !== "string" ||
      plugin.name === "" ||
      typeof plugin.apply !== "function"
    ) {
      throw new SwitchyardError(
        "SWY_ERR_PLUGIN_INVALID",
        "A plugin needs a non-empty `name` and an `apply` function.",
      );
    }
    if (this.pluginNames.has(plugin.name)) {
      throw new SwitchyardError(
        "SWY_ERR_PLUGIN_INVALID",
        `A plugin named '${plugin.name}' is already applied.`,
      );
    }
    this.pluginNames.add(plugin.name);
    plugin.apply(this);
    return this;
  }

  /** Registers a provider. Only before start. */
  addProvider(provider: Provider): this {
    this.assertConfigurable(`addProvider(${provider?.name})`);
    if (!provider || typeof provider.name !== "string" || !/^[\w.-]+$/.test(provider.name)) {
      throw new SwitchyardError(
        "SWY_ERR_PLUGIN_INVALID",
        "A provider needs a `name` of letters, digits, '_', '.' or '-' (it prefixes models as name/model).",
      );
    }
    if (this.providerMap.has(provider.name)) {
      throw new SwitchyardError(
        "SWY_ERR_PLUGIN_INVALID",
        `A provider named '${provider.name}' is already registered.`,
      );
    }
    this.providerMap.set(provider.name, provider);
    return this;
  }

  /**
   * Registers an inbound dialect: its paths are served, its clients' requests run through the same hooks.
   * Only before start. A dialect may not take a path another dialect or the OpenAI API already serves.
   */
  addDialect(dialect: InboundDialect): this {
    this.assertConfigurable(`addDialect(${dialect?.name})`);
    if (
      !dialect ||
      typeof dialect.name !== "string" ||
      dialect.name === "openai" ||
      this.dialectMap.has(dialect.name)
    ) {
      throw new SwitchyardError(
        "SWY_ERR_PLUGIN_INVALID",
        `A dialect needs a unique name other than 'openai' (got '${dialect?.name}').`,
      );
    }
    const paths = [
      ...Object.entries(dialect.routes).map(([path, operation]) => [path, { dialect, operation }] as const),
      ...Object.entries(dialect.handlers ?? {}).map(
        ([path, handler]) => [path, { dialect, handler }] as const,
      ),
    ];
    for (const [path, route] of paths) {
      if (this.dialectRoutes.has(path) || OPENAI_PATHS.has(path)) {
        throw new SwitchyardError(
          "SWY_ERR_PLUGIN_INVALID",
          `Dialect '${dialect.name}': the path ${path} is already served.`,
        );
      }
      this.dialectRoutes.set(path, route);
    }
    this.dialectMap.set(dialect.name, dialect);
    return this;
  }

  /** Lists a model id (an alias) in `GET /v1/models`, owned by `ownedBy`. Only before start. */
  advertiseModel(id: string, ownedBy: string): this {
    this.assertConfigurable(`advertiseModel(${id})`);
    this.advertised.set(id, ownedBy);
    return this;
  }

  /** The provider serving `model` as listed (not `name/model`), if any. First registered wins. */
  findModel(model: string): { provider: Provider; info: ModelInfo } | undefined {
    return this.modelOwners.get(model);
  }

  /** What `provider` declares about `model`. */
  modelInfo(provider: Provider, model: string): ModelInfo | undefined {
    return this.modelsByProvider.get(provider)?.get(model);
  }

  /**
   * Starts providers (e.g. embedded servers), indexes their models and locks the hooks. Idempotent; the
   * adapters call it before listening, and `handle` calls it on first use.
   */
  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    this.currentState = "starting";
    for (const provider of this.providerMap.values()) await provider.start?.();
    for (const provider of this.providerMap.values()) {
      const index = new Map<string, ModelInfo>();
      for (const info of provider.models()) {
        index.set(info.id, info);
        if (!this.modelOwners.has(info.id)) this.modelOwners.set(info.id, { provider, info });
      }
      this.modelsByProvider.set(provider, index);
    }
    this.currentState = "started";
  }

  /** Handles one HTTP exchange. Never throws: every failure becomes an OpenAI-shaped error response. */
  async handle(request: GatewayHttpRequest): Promise<GatewayHttpResponse> {
    if (this.currentState !== "started" && this.currentState !== "draining") await this.start();
    return handleHttpRequest(this.runtime, request);
  }

  /**
   * Stops taking requests (new ones get 503), waits up to `graceMs` for in-flight requests and streams to
   * finish, then aborts what is left and closes the upstream pools and providers.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.currentState === "closed") return;
    this.currentState = "draining";
    const graceMs = options.graceMs ?? 10_000;
    if (this.admission.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    if (this.admission.inFlight > 0) {
      this.logger.warn(
        { inFlight: this.admission.inFlight },
        "grace period over: aborting in-flight upstream requests",
      );
      await this.transport.destroy();
    } else await this.transport.close();
    for (const provider of this.providerMap.values()) await provider.close?.();
    this.currentState = "closed";
  }

  private assertConfigurable(what: string): void {
    if (this.currentState !== "created") {
      throw new SwitchyardError("SWY_ERR_PLUGIN_LATE_TAP", `${what} called after the gateway started.`);
    }
  }

  private createRuntime(): PipelineRuntime {
    return {
      hooks: this.hooks,
      transport: this.transport,
      endpointStats: this.endpointStats,
      logger: this.logger,
      events: this.events,
      requireAuth: this.settings.requireAuth,
      dialects: this.dialectMap,
      dialectRoutes: this.dialectRoutes,
      bodyLimitBytes: this.settings.bodyLimitBytes,
      modelInfo: (provider, model) => this.modelInfo(provider, model),
      listModels: () => [
        ...[...this.advertised.entries()].map(([id, ownedBy]) => ({ id, owned_by: ownedBy })),
        ...[...this.modelOwners.entries()]
          .filter(([id]) => !this.advertised.has(id))
          .map(([id, owner]) => ({ id, owned_by: owner.provider.name })),
      ],
      isDraining: () => this.currentState === "draining" || this.currentState === "closed",
      requestStarted: (signal) => this.admission.acquire(signal),
      inFlight: () => this.admission.inFlight,
      requestFinished: () => {
        this.admission.release();
        if (this.admission.inFlight === 0 && this.idleWaiters.length > 0) {
          for (const resolve of this.idleWaiters.splice(0)) resolve();
        }
      },
    };
  }
}

/** Creates a gateway. See GatewayOptions. */
export function createGateway(options: GatewayOptions = {}): Gateway {
  return new Gateway(options);
}
