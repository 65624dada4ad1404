export {
  createNodeHandler,
  type ListenOptions,
  listen,
  type NodeGatewayServer,
  writeResponse,
} from "./node.js";
