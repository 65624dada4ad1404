export {
  type Cors,
  type CorsOptions,
  createCors,
  DEFAULT_EXPOSED_HEADERS,
  withCorsHeaders,
} from "./cors.js";
export {
  closeGracefully,
  createNodeHandler,
  handleClientError,
  type ListenOptions,
  listen,
  type NodeGatewayServer,
  type NodeHandlerOptions,
  type TlsCredentials,
  writeResponse,
} from "./node.js";
