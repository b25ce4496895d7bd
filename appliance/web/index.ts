// The front panel's public surface (appliance/web). Only the supervisor uses it
// (supervisor/web-service.ts); it imports nothing of the supervisor's.
export type { NodeStatus, EnvironmentRow, PeerRowStatus, StatusEvent, Viewer, GcFigures } from './types.js';
export { viewOf, type StatusView } from './view.js';
export { renderPage, renderPanel, escapeHtml, formatBytes, formatUptime, type PageOptions } from './render.js';
export { renderMetrics, type WebCounters } from './metrics.js';
export { WebServer, SECURITY_HEADERS, parseWebAddress, sameOrigin, type WebAccounts, type LoginLimiter, type WebServerOptions } from './server.js';
export { Sessions, SESSION_COOKIE, cookieValue, sessionCookie } from './sessions.js';
export { CLIENT_JS, CLIENT_CSS } from './client.js';
