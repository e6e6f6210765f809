import type { FastifyInstance } from 'fastify';

export interface RouteTable {
  /** The methods `path` (a request path) answers: a 405 with `Allow` instead of a 404 when only the method is wrong. */
  allowed(path: string): string[];
  /** Every route as `METHOD /path/:param`. */
  list(): string[];
}

/** Learns the app's routes as they are added: call it before any route is registered. */
export function trackRoutes(app: FastifyInstance): RouteTable {
  const routes: { url: string; segments: string[]; methods: string[] }[] = [];
  app.addHook('onRoute', (route) => {
    routes.push({ url: route.url, segments: route.url.split('/'), methods: [route.method].flat() });
  });
  return {
    allowed(path) {
      const segments = path.replace(/(.)\/+$/, '$1').split('/');
      const matches = (template: string[]) =>
        template.length === segments.length &&
        template.every((segment, index) => (segment.startsWith(':') ? segments[index] !== '' : segment === segments[index]));
      return [...new Set(routes.filter((route) => matches(route.segments)).flatMap((route) => route.methods))];
    },
    list: () => routes.flatMap((route) => route.methods.map((method) => `${method} ${route.url}`)),
  };
}
