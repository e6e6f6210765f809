/** Counters the API keeps itself: requests by route and status, and the appends it caused. */
export interface HttpMetrics {
  requests: Map<string, number>;
  commands: Map<string, number>;
  observeRequest(method: string, route: string, status: number): void;
  observeCommand(type: string, outcome: 'accepted' | 'rejected'): void;
}

export function createHttpMetrics(): HttpMetrics {
  const requests = new Map<string, number>();
  const commands = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  return {
    requests,
    commands,
    observeRequest: (method, route, status) => bump(requests, `${method} ${route} ${status}`),
    observeCommand: (type, outcome) => bump(commands, `${type} ${outcome}`),
  };
}
