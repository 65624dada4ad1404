export { createMockProvider, type MockProviderOptions } from "./mock-provider.js";
export { createMockUpstream, type MockUpstream } from "./mock-upstream.js";
export type { MockUpstreamOptions } from "./mock-upstream-options.js";
