/** The adapters compared, as named on the command line. */
export const ADAPTERS = ["node", "express", "fastify", "fetch"] as const;
export type AdapterName = (typeof ADAPTERS)[number];

/** Every adapter serves the gateway under this mount path, as apps do. */
export const MOUNT = "/llm";
