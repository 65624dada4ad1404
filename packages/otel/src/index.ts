export {
  type OtlpOptions,
  type PrometheusOptions,
  type StartTelemetryOptions,
  startTelemetry,
  type Telemetry,
} from "./start-telemetry.js";
