export { isLoopbackHost } from './isLoopbackHost.js';
