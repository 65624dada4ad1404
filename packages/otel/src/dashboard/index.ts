export {
  type BreakerRow,
  DashboardAggregator,
  type DashboardAggregatorOptions,
  type DashboardSnapshot,
  type LimitRow,
  type ProviderRow,
  type UsageRow,
} from "./dashboard-aggregator.js";
export { createDashboard, type Dashboard, type DashboardOptions } from "./dashboard-handler.js";
export { dashboardContentSecurityPolicy, dashboardHtml } from "./dashboard-page.js";
export type { Percentiles } from "./rolling-window.js";
